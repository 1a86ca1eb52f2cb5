/** A key as the TOML file spells it: bare when it can be, quoted otherwise. */
const bareKey = /^[A-Za-z0-9_-]+$/;

/** ["model_provider","providers",0,"kind"] -> "model_provider.providers[0].kind" */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) => {
      if (typeof segment === "number") return `[${segment}]`;
      const name = String(segment);
      return `${index === 0 ? "" : "."}${bareKey.test(name) ? name : JSON.stringify(name)}`;
    })
    .join("");
}

/** True when `key` is `ancestor` itself or lies inside it ("a.b[0].c" is within "a.b"). */
export function isWithinKey(key: string, ancestor: string): boolean {
  if (ancestor === "") return true;
  if (!key.startsWith(ancestor)) return false;
  const next = key.charAt(ancestor.length);
  return next === "" || next === "." || next === "[";
}
