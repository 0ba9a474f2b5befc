/**
 * The part of Bitbucket's query language (`q=`, "BBQL") the sandbox's list endpoints take:
 * `field op value` joined by AND / OR, with parentheses. Operators: `=` and `!=` (exact),
 * `~` and `!~` (case-insensitive contains), and `>`, `>=`, `<`, `<=` on ordered fields
 * (`permission`: read < write < admin). Values are double-quoted strings (`\"` escapes) or bare
 * words (true, false, numbers). Anything else is a QueryError, which routes answer with 400.
 */

export class QueryError extends Error {}

export interface QueryField<T> {
  get(item: T): string;
  /** For fields with an order (lowest first): allows the comparison operators and checks values. */
  order?: readonly string[];
}

export type QueryFields<T> = Record<string, QueryField<T>>;

type Token = { kind: "word" | "string" | "op" | "paren"; text: string };

const TOKEN = /\s*(?:(\()|(\))|(!=|!~|>=|<=|=|~|>|<)|"((?:[^"\\]|\\.)*)"|([A-Za-z0-9_.:{}+-]+))/y;

function tokenize(q: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < q.length) {
    if (/^\s*$/.test(q.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(q);
    if (!m) throw new QueryError(`cannot read the query at character ${at + 1}: ${JSON.stringify(q.slice(at, at + 20))}`);
    if (m[1] || m[2]) tokens.push({ kind: "paren", text: (m[1] ?? m[2]) as string });
    else if (m[3]) tokens.push({ kind: "op", text: m[3] });
    else if (m[4] !== undefined) tokens.push({ kind: "string", text: m[4].replace(/\\(.)/g, "$1") });
    else tokens.push({ kind: "word", text: m[5] as string });
  }
  return tokens;
}

type Predicate<T> = (item: T) => boolean;

/** Compiles `q` into a predicate over items described by `fields`; throws QueryError. */
export function compileQuery<T>(q: string, fields: QueryFields<T>): Predicate<T> {
  const tokens = tokenize(q);
  let pos = 0;
  const peek = () => tokens[pos];
  const isKeyword = (word: string) => peek()?.kind === "word" && peek()?.text.toUpperCase() === word;

  const expression = (): Predicate<T> => {
    const parts = [conjunction()];
    while (isKeyword("OR")) {
      pos++;
      parts.push(conjunction());
    }
    return (item) => parts.some((p) => p(item));
  };
  const conjunction = (): Predicate<T> => {
    const parts = [term()];
    while (isKeyword("AND")) {
      pos++;
      parts.push(term());
    }
    return (item) => parts.every((p) => p(item));
  };
  const term = (): Predicate<T> => {
    if (peek()?.text === "(" && peek()?.kind === "paren") {
      pos++;
      const inner = expression();
      if (peek()?.text !== ")") throw new QueryError("missing )");
      pos++;
      return inner;
    }
    return condition();
  };
  const condition = (): Predicate<T> => {
    const [name, op, value] = [tokens[pos], tokens[pos + 1], tokens[pos + 2]];
    if (name?.kind !== "word") throw new QueryError(`expected a field name${name ? ` but found ${JSON.stringify(name.text)}` : ""}`);
    const field = Object.hasOwn(fields, name.text) ? fields[name.text] : undefined;
    if (!field) throw new QueryError(`Invalid field name: ${name.text} (one of ${Object.keys(fields).join(", ")})`);
    if (op?.kind !== "op") throw new QueryError(`expected an operator after ${name.text}`);
    if (value?.kind !== "string" && value?.kind !== "word") throw new QueryError(`expected a value after ${name.text} ${op.text}`);
    pos += 3;
    return comparison(name.text, field, op.text, value.text);
  };

  const predicate = expression();
  if (pos < tokens.length) throw new QueryError(`unexpected ${JSON.stringify(tokens[pos]?.text)}: join conditions with AND or OR`);
  return predicate;
}

function comparison<T>(name: string, field: QueryField<T>, op: string, value: string): Predicate<T> {
  const rank = field.order ? field.order.indexOf(value) : 0;
  if (field.order && rank < 0) throw new QueryError(`${name} must be one of ${field.order.map((v) => `"${v}"`).join(", ")}`);
  const order = field.order;
  const cmp = (item: T) => (order ? order.indexOf(field.get(item)) - rank : 0);
  switch (op) {
    case "=":
      return (item) => field.get(item) === value;
    case "!=":
      return (item) => field.get(item) !== value;
    case "~":
      return (item) => field.get(item).toLowerCase().includes(value.toLowerCase());
    case "!~":
      return (item) => !field.get(item).toLowerCase().includes(value.toLowerCase());
  }
  if (!order) throw new QueryError(`${op} does not apply to ${name}`);
  if (op === ">") return (item) => cmp(item) > 0;
  if (op === ">=") return (item) => cmp(item) >= 0;
  if (op === "<") return (item) => cmp(item) < 0;
  return (item) => cmp(item) <= 0;
}
