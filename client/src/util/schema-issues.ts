import type { z } from 'zod';

/** A schema failure in one line: the first problems by field, for an error message. */
export function schemaIssues(error: z.ZodError): string {
  const issues = error.issues.slice(0, 5).map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : 'value'}: ${issue.message}`);
  const more = error.issues.length > 5 ? `; and ${error.issues.length - 5} more` : '';
  return `${issues.join('; ')}${more}`;
}
