#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, loadConfig } from './config.js';
import { MonitorStack } from './monitor-stack.js';

const app = new App();
let config;
try {
  config = loadConfig((name) => app.node.tryGetContext(name));
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`Invalid configuration: ${err.message}\nSee README → Configure.`);
  process.exit(1);
}
// Environment-agnostic on purpose: synth needs no AWS account, and no AZ lookups.
new MonitorStack(app, 'ExchangeKeyMonitor', {
  config,
  description: 'exchange-key-monitor: scheduled Crypto.com Exchange API key checks from a fixed egress IP',
});
// Every finding fails synth unless acknowledged with a reason (cdk/nag-acknowledgements.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
