/** The IdP's HTML pages: plain forms with no script and no external resources, so both a
 * person with a browser and an HTTP driver can complete them. */

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)} - kgate sim IdP</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function cancelForm(uid: string, label: string): string {
  return `<form method="post" action="/interaction/${encodeURIComponent(uid)}/abort">
<button type="submit">${label}</button>
</form>`;
}

/** The login form; shown again with `error` (and the username kept) after a failed attempt. */
export function loginPage(args: { uid: string; clientName: string; error?: string; username?: string }): string {
  const alert = args.error ? `<p class="error" role="alert">${escapeHtml(args.error)}</p>\n` : '';
  return layout('Sign in', `<h1>Sign in</h1>
<p>to continue to <strong>${escapeHtml(args.clientName)}</strong></p>
${alert}<form method="post" action="/interaction/${encodeURIComponent(args.uid)}/login">
<label>Username <input type="text" name="username" value="${escapeHtml(args.username ?? '')}" autocomplete="username" required autofocus></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
${cancelForm(args.uid, 'Cancel')}`);
}

/** The consent page: what the client asks for, Allow or Deny. */
export function consentPage(args: { uid: string; clientName: string; username: string; scopes: string[] }): string {
  const items = args.scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('\n');
  return layout('Authorize', `<h1>Authorize ${escapeHtml(args.clientName)}</h1>
<p>Signed in as <strong>${escapeHtml(args.username)}</strong>. ${escapeHtml(args.clientName)} asks for:</p>
<ul>
${items}
</ul>
<form method="post" action="/interaction/${encodeURIComponent(args.uid)}/confirm">
<button type="submit">Allow</button>
</form>
${cancelForm(args.uid, 'Deny')}`);
}

/** The device flow's code entry page around oidc-provider's form (id `op.deviceInputForm`). */
export function deviceCodeInputPage(form: string, error?: string): string {
  const message = error
    ? `<p class="error" role="alert">${escapeHtml(error)}</p>`
    : '<p>Enter the code displayed on your device.</p>';
  return layout('Device sign-in', `<h1>Device sign-in</h1>
${message}
${form}
<button type="submit" form="op.deviceInputForm">Continue</button>`);
}

/** The device flow's confirmation page around oidc-provider's form (id `op.deviceConfirmForm`). */
export function deviceConfirmPage(form: string, clientName: string, userCode: string): string {
  return layout('Confirm device', `<h1>Confirm device</h1>
<p><strong>${escapeHtml(clientName)}</strong> wants to sign in. Check that your device shows this code:</p>
<p><code>${escapeHtml(userCode)}</code></p>
${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button>`);
}

/** The page after a device was approved. */
export function deviceSuccessPage(clientName: string): string {
  return layout('Signed in', `<h1>Signed in</h1>
<p>You signed in to <strong>${escapeHtml(clientName)}</strong>. You can close this page and return to your device.</p>`);
}

/** An error page listing OAuth error fields (`error`, `error_description`, ...). */
export function errorPage(title: string, fields: Record<string, string | undefined>): string {
  const rows = Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
    .join('\n');
  return layout(title, `<h1>${escapeHtml(title)}</h1>
<dl>
${rows}
</dl>`);
}
