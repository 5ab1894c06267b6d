/** A list in slices of at most `size`, in order (store-sized writes, id reads in parts). */
export function slicesOf<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
