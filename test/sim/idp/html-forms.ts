/** Reads the forms of the IdP's pages the way a browser would submit them. Only the plain HTML
 * the sim and oidc-provider produce is understood; this is no general HTML parser. */

/** A submit button, inside its form or tied to it with the `form` attribute. */
export interface FormButton {
  name?: string;
  value: string;
}

/** One `<form>` of a page. */
export interface HtmlForm {
  id?: string;
  /** Absolute URL the form posts to. */
  action: string;
  method: string;
  /** Named `<input>` elements in document order, with their initial values. */
  inputs: Array<{ name: string; type: string; value: string }>;
  buttons: FormButton[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", '#x27': "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#39|#x27);/g, (_m, name: string) => ENTITIES[name] ?? '');
}

function attributesOf(tag: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  const pattern = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;
  for (const m of tag.matchAll(pattern)) {
    attributes[m[1]!.toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attributes;
}

function buttonsIn(html: string): Array<FormButton & { form?: string }> {
  return [...html.matchAll(/<button\b([^>]*)>/g)]
    .map((m) => attributesOf(m[1]!))
    .filter((a) => (a.type ?? 'submit') === 'submit')
    .map((a) => ({ name: a.name, value: a.value ?? '', form: a.form }));
}

/** All forms of `html`, with actions resolved against `pageUrl`. */
export function parseForms(html: string, pageUrl: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  const outside = html.replace(/<form\b[\s\S]*?<\/form>/g, '');
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attributes = attributesOf(m[1]!);
    const body = m[2]!;
    const inputs = [...body.matchAll(/<input\b([^>]*?)\/?>/g)]
      .map((i) => attributesOf(i[1]!))
      .filter((a) => a.name !== undefined)
      .map((a) => ({ name: a.name!, type: (a.type ?? 'text').toLowerCase(), value: a.value ?? '' }));
    const own = buttonsIn(body).filter((b) => b.form === undefined || b.form === attributes.id);
    const tied = attributes.id ? buttonsIn(outside).filter((b) => b.form === attributes.id) : [];
    forms.push({
      id: attributes.id,
      action: new URL(attributes.action ?? '', pageUrl).href,
      method: (attributes.method ?? 'get').toLowerCase(),
      inputs,
      buttons: [...own, ...tied].map(({ name, value }) => ({ name, value })),
    });
  }
  return forms;
}

/** The text of the page's `role="alert"` element, where the sim's pages explain a refusal. */
export function alertText(html: string): string | undefined {
  const m = /<[a-z]+\b[^>]*role="alert"[^>]*>([\s\S]*?)<\/[a-z]+>/.exec(html);
  return m ? decodeEntities(m[1]!.replace(/<[^>]+>/g, '')).trim() : undefined;
}

/** The visible text of a page, for error messages. */
export function pageText(html: string): string {
  return decodeEntities(html.replace(/<(script|style)\b[\s\S]*?<\/\1>/g, '').replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}
