import { type CollectionTag, parse, type ScalarTag, YAMLMap, YAMLSeq } from "yaml";

/**
 * CloudFormation's short-form intrinsic functions as YAML tags, parsed into their long form
 * (`!Ref X` → `{ Ref: "X" }`, `!GetAtt A.B` → `{ "Fn::GetAtt": ["A", "B"] }`), so a template
 * reads as the JSON CloudFormation itself sees.
 */
const FUNCTIONS = ["Base64", "Cidr", "FindInMap", "GetAZs", "ImportValue", "Join", "Select", "Split", "Sub", "If", "Equals", "Not", "And", "Or", "Transform"];

function longForm(name: string, value: unknown): Record<string, unknown> {
  if (name === "Ref" || name === "Condition") return { [name]: value };
  if (name === "GetAtt" && typeof value === "string") {
    const dot = value.indexOf(".");
    return { "Fn::GetAtt": [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [`Fn::${name}`]: value };
}

function tagsFor(name: string): (ScalarTag | CollectionTag)[] {
  const tag = `!${name}`;
  return [
    { tag, identify: () => false, resolve: (value: string) => longForm(name, value) } as ScalarTag,
    { tag, collection: "seq", nodeClass: YAMLSeq, identify: () => false, resolve: (seq: YAMLSeq) => longForm(name, seq.toJSON()) } as unknown as CollectionTag,
    { tag, collection: "map", nodeClass: YAMLMap, identify: () => false, resolve: (map: YAMLMap) => longForm(name, map.toJSON()) } as unknown as CollectionTag,
  ];
}

const customTags = ["Ref", "GetAtt", "Condition", ...FUNCTIONS].flatMap(tagsFor);

export type Template = {
  Parameters?: Record<string, { Type: string; Default?: unknown; AllowedPattern?: string; AllowedValues?: unknown[] }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, { Type: string; Condition?: string; DependsOn?: string | string[]; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, { Value: unknown; Condition?: string }>;
};

export function parseTemplate(text: string): Template {
  return parse(text, { customTags }) as Template;
}

/** Every name a template refers to: Ref targets, GetAtt resources, ${Name} and ${Name.Attr} in Sub, DependsOn. */
export function referencedNames(template: Template): { name: string; where: string }[] {
  const found: { name: string; where: string }[] = [];
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) {
      for (const [i, n] of node.entries()) walk(n, `${where}[${i}]`);
      return;
    }
    if (!node || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      if (key === "Ref" && typeof value === "string") found.push({ name: value, where });
      else if (key === "Fn::GetAtt") found.push({ name: (value as string[])[0]!, where });
      else if (key === "Fn::Sub") {
        const [text, vars] = typeof value === "string" ? [value, {}] : (value as [string, Record<string, unknown>]);
        for (const m of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const name = m[1]!.split(".")[0]!;
          if (!(name in vars)) found.push({ name, where });
        }
        walk(vars, where);
      } else walk(value, `${where}.${key}`);
    }
  };
  for (const [id, resource] of Object.entries(template.Resources)) {
    for (const dep of [resource.DependsOn ?? []].flat()) found.push({ name: dep, where: `${id}.DependsOn` });
    walk(resource.Properties, id);
  }
  walk(template.Outputs, "Outputs");
  return found;
}

/** Names that resolve: parameters, resources and pseudo parameters (AWS::Region …). */
export function danglingReferences(template: Template): { name: string; where: string }[] {
  const known = new Set([...Object.keys(template.Parameters ?? {}), ...Object.keys(template.Resources)]);
  return referencedNames(template).filter(({ name }) => !known.has(name) && !name.startsWith("AWS::"));
}
