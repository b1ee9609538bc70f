/**
 * SQL LIKE: `%` matches any run of characters, `_` exactly one; everything else matches itself. Greedy
 * matching with one back-track point, so a hostile pattern costs at most text × pattern steps.
 */
export function matchLike(text: string, pattern: string): boolean {
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const c = pattern[p];
    if (c === '%') {
      starP = p++;
      starT = t;
    } else if (c !== undefined && (c === '_' || c === text[t])) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '%') p++;
  return p === pattern.length;
}
