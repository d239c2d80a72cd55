import { readFileSync } from 'node:fs';

/** Resolves `env:NAME` and `file:PATH` references; any other value is the secret itself. */
export function resolveSecret(reference: string, env: NodeJS.ProcessEnv, where: string): string {
  if (reference.startsWith('env:')) {
    const name = reference.slice(4);
    const value = env[name];
    if (value === undefined || value === '') throw new Error(`${where}: environment variable ${name} is not set.`);
    return value;
  }
  if (reference.startsWith('file:')) {
    const path = reference.slice(5);
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      throw new Error(`${where}: cannot read secret file ${path}.`);
    }
  }
  return reference;
}
