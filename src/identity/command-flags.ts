import { Flags } from '@oclif/core';

/** Flags shared by login, logout and whoami: which IdP, client and token store to use. */
export const identityFlags = {
  issuer: Flags.string({ summary: 'OpenID Provider URL (env KGATE_ISSUER).', helpGroup: 'IDENTITY' }),
  'client-id': Flags.string({ summary: 'OAuth client id (env KGATE_CLIENT_ID; default kgate-cli).', helpGroup: 'IDENTITY' }),
  audience: Flags.string({ summary: 'Audience kgate tokens carry (env KGATE_AUDIENCE; default kgate).', helpGroup: 'IDENTITY' }),
  'token-storage': Flags.string({
    summary: 'Where tokens are kept (env KGATE_TOKEN_STORAGE; default auto = keyring, else a 0600 file).',
    options: ['auto', 'keyring', 'file', 'none'],
    helpGroup: 'IDENTITY',
  }),
  'ca-file': Flags.string({ summary: 'Extra CA (PEM) to trust for the IdP (env KGATE_CA_FILE).', helpGroup: 'IDENTITY' }),
};
