import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '../../cdk/config.js';
import { MonitorStack } from '../../cdk/monitor-stack.js';

/** cdk.json's context: the feature flags (and defaults) a real `cdk synth` runs with. */
const CDK_JSON = JSON.parse(readFileSync(fileURLToPath(new URL('../../cdk.json', import.meta.url)), 'utf8')) as { context: Record<string, unknown> };

/**
 * Synthesize the stack as cdk/app.ts does, cdk-nag included, with the prebuilt Lambda bundles
 * (`npm run build`). Synthesis throws on any unacknowledged nag finding.
 */
export function synth(context: Record<string, unknown> = {}, mutate?: (stack: MonitorStack) => void) {
  const app = new App({ context: { ...CDK_JSON.context, ...context } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const config = loadConfig((name) => app.node.tryGetContext(name));
  const stack = new MonitorStack(app, 'Monitor', { config });
  mutate?.(stack);
  const template = Template.fromStack(stack);
  return { app, stack, template, config };
}

/** A resource's logical id by type and a predicate on its properties. */
export function logicalId(template: Template, type: string, where: (props: Record<string, unknown>) => boolean = () => true): string {
  const found = Object.entries(template.findResources(type)).filter(([, r]) => where((r as { Properties?: Record<string, unknown> }).Properties ?? {}));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]?.[0] as string;
}
