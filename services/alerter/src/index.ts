export { Alerter } from './alerter.ts';
export { type AlerterConfig, alerterConfig } from './config.ts';
export { compileExpression, ExpressionError } from './rules/cel.ts';
export { type CompiledRule, compileRule } from './rules/compileRule.ts';
export { defaultRulesDir, loadRules, type RuleSet } from './rules/loadRules.ts';
export { compileTemplate } from './rules/template.ts';
export {
  type AlerterHandle,
  type AlerterServiceOptions,
  alerterMigrations,
  alerterService,
  createAlerterService,
} from './service.ts';
