// Credentials never appear in errors, logs, progress, explain() or checkpoint inspection. Two
// nets catch them: structure (the password of a URL such as redis://user:password@host, option
// keys that name secrets, a JAAS password="…"), and the secrets themselves, remembered when the
// locations and options that carry them are read, so that one repeated anywhere in a message is
// replaced too.

const MASK = '***';

/** Secrets seen so far (of 4 characters or more: shorter ones would mask ordinary text). */
const known = new Set<string>();
let longestFirst: string[] = [];

export function registerSecret(value: string | undefined): void {
  if (value === undefined || value.length < 4 || known.has(value)) return;
  known.add(value);
  longestFirst = [...known].sort((a, b) => b.length - a.length);
}

/** Option keys whose values are credentials: kafka.sasl.password, kafka.sasl.jaas.config, kafka.ssl.key.password... */
export function isSecretOption(key: string): boolean {
  return /pass(word|wd)?$|password|secret|token|credential|jaas|api[._-]?key|private[._-]?key|ssl\.key$/i.test(key);
}

/** A copy of options with the values of secret keys masked (and remembered), URL passwords redacted. */
export function redactOptions(options: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(options)) {
    if (isSecretOption(k)) {
      registerSecret(v);
      for (const p of jaasPasswords(v)) registerSecret(p);
      out[k] = MASK;
    } else {
      out[k] = redactText(v);
    }
  }
  return out;
}

/**
 * The password of a URL (`scheme://user:password@host`) masked: the user information ends at the
 * last `@` before the host, so a password holding `@` or `/` is masked whole.
 */
export function redactUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  if (!scheme) return url;
  const rest = url.slice(scheme[0].length);
  const at = rest.lastIndexOf('@');
  if (at < 0) return url;
  const userInfo = rest.slice(0, at);
  const colon = userInfo.indexOf(':');
  const user = colon < 0 ? '' : userInfo.slice(0, colon);
  registerSecret(colon < 0 ? userInfo : userInfo.slice(colon + 1));
  return `${scheme[0]}${colon < 0 ? MASK : `${user}:${MASK}`}${rest.slice(at)}`;
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"`<>]+/gi;
const JAAS_PASSWORD = /(password\s*=\s*)("[^"]*"|'[^']*'|[^\s;]+)/gi;

function jaasPasswords(text: string): string[] {
  return [...text.matchAll(JAAS_PASSWORD)].map((m) => m[2]!.replace(/^["']|["']$/g, ''));
}

/** `text` with URL passwords, JAAS passwords and every known secret masked. */
export function redactText(text: string): string {
  let out = text.replace(URL_IN_TEXT, (url) => redactUrl(url)).replace(JAAS_PASSWORD, `$1"${MASK}"`);
  for (const secret of longestFirst) if (out.includes(secret)) out = out.split(secret).join(MASK);
  return out;
}

/**
 * Masks the credentials an error object carries where printing it shows them (its message and
 * stack; ioredis keeps the arguments of a failed AUTH in `command.args`), in it and its causes;
 * returns it.
 */
export function scrubError<E>(error: E): E {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    const command = (e as { command?: { name?: unknown; args?: unknown[] } }).command;
    if (command && typeof command.name === 'string' && /^(auth|hello)$/i.test(command.name) && Array.isArray(command.args)) {
      command.args = command.args.map(() => MASK);
    }
    // The stack was captured with the message as it was: printing the error (console.error,
    // util.inspect, a logger's serializer) shows the stack, so it is cleaned too.
    const texts = e as { message?: unknown; stack?: unknown };
    for (const key of ['message', 'stack'] as const) {
      const text = texts[key];
      if (typeof text !== 'string') continue;
      const clean = redactText(text);
      if (clean === text) continue;
      try {
        texts[key] = clean;
      } catch {
        // a frozen error keeps its text
      }
    }
  }
  return error;
}
