/** The JSON every monitored key's secret holds. The stack, the Lambdas and the CLI share it. */
export const SECRET_FIELDS = { apiKey: 'apiKey', apiSecret: 'apiSecret' } as const;

export const SECRET_EXAMPLE = '{"apiKey":"…","apiSecret":"…"}';
