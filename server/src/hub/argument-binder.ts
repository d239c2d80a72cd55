import type { HubMethod } from './hub-definition.js';

export type BindingResult = { ok: true; args: unknown[] } | { ok: false; reason: string };

/**
 * Checks the arguments of an invocation against the method's schemas, as ASP.NET's binder
 * does against parameter types, so that hub code only ever sees the types it declared.
 */
export function bindArguments(method: HubMethod, args: unknown[]): BindingResult {
  const expected = method.parameters.length;
  const required = method.requiredParameterCount;
  const tooFew = args.length < required;
  const tooMany = method.rest === undefined && args.length > expected;
  if (tooFew || tooMany) {
    const count = method.rest !== undefined ? `at least ${required}` : required === expected ? `${expected}` : `${required} to ${expected}`;
    return { ok: false, reason: `Invocation provides ${args.length} argument(s) but target expects ${count}.` };
  }
  const bound: unknown[] = new Array(args.length);
  for (let index = 0; index < args.length; index++) {
    const schema = method.parameters[index] ?? method.rest;
    if (!schema) return { ok: false, reason: 'Invocation provides too many arguments.' };
    const parsed = schema.safeParse(args[index]);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      // Where in an object or array argument the problem is, when it is not the argument itself.
      const where = issue && issue.path.length > 0 ? ` (${issue.path.map(String).join('.')})` : '';
      return {
        ok: false,
        reason: 'Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked.'
          + ` Argument ${index + 1}${where}: ${issue?.message ?? 'invalid value'}.`,
      };
    }
    bound[index] = parsed.data;
  }
  return { ok: true, args: bound };
}
