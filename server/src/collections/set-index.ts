/** Adds `value` under `key` of an index of sets, creating the set on first use. */
export function addToIndex<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  let members = index.get(key);
  if (!members) index.set(key, (members = new Set()));
  members.add(value);
}

/** Removes `value` from under `key`, dropping the set once it is empty. */
export function removeFromIndex<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const members = index.get(key);
  if (!members) return;
  members.delete(value);
  if (members.size === 0) index.delete(key);
}
