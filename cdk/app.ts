#!/usr/bin/env node
import { Annotations, App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { alertsReachSomeone, checkContextKeys, ConfigError, loadConfig, type MonitorConfig } from './config.js';
import { LambdaBundleMissingError } from './constructs/lambda-code.js';
import { MonitorStack } from './monitor-stack.js';
import { DEFAULT_STACK_NAME } from '../src/contract/stack.js';

const app = new App();
let config: MonitorConfig;
try {
  checkContextKeys(Object.keys(app.node.getAllContext?.() ?? {}));
  config = loadConfig((name) => app.node.tryGetContext(name));
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`Invalid configuration: ${err.message}\nSee README → Configure.`);
  process.exit(1);
}
let stack: MonitorStack;
try {
  // Environment-agnostic on purpose: synth needs no AWS account, and no AZ lookups.
  stack = new MonitorStack(app, DEFAULT_STACK_NAME, {
    config,
    description: 'exchange-key-monitor: scheduled Crypto.com Exchange API key checks from a fixed egress IP, incidents to your channels',
  });
} catch (err) {
  if (err instanceof ConfigError) console.error(`Invalid configuration: ${err.message}\nSee README → Configure.`);
  else if (err instanceof LambdaBundleMissingError) console.error(`Not built: ${err.message}`);
  else throw err;
  process.exit(1);
}
if (!alertsReachSomeone(config.alerts)) {
  const warning =
    'NO ALERT CHANNEL IS CONFIGURED: this monitor will find key faults and tell nobody. Set -c alertEmail=you@example.com ' +
    '(and/or slackWorkspaceId+slackChannelId, teams…), or fill the channels secret after deploying (README → Channels).';
  Annotations.of(stack).addWarningV2('exchange-key-monitor:no-alert-channel', warning);
  console.error(`\n${'!'.repeat(100)}\n!! ${warning}\n${'!'.repeat(100)}\n`);
}
// Every finding fails synth unless acknowledged with a reason next to the resource it concerns.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
