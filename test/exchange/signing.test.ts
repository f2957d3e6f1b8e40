import { describe, expect, it } from 'vitest';
import { paramString, sign, signedBody, signingPayload, UnsignableParamError, type SignableObject } from '../../src/exchange/signing.js';

// The inputs of the exchange's official signing samples; each payload and signature computed three independent ways.
const VECTORS: {
  n: number;
  method: string;
  id: number;
  apiKey: string;
  params: SignableObject;
  nonce: number;
  secret: string;
  payload: string;
  sig: string;
}[] = [
  {
    n: 1,
    method: 'public/auth',
    id: 11,
    apiKey: 'token',
    params: {},
    nonce: 1589594102779,
    secret: 'secretKey',
    payload: 'public/auth11token1589594102779',
    sig: '9dcebf6eeec155f829227ee447dee73120e0aead42fab74d38ed5d8271793dc8',
  },
  {
    n: 2,
    method: 'private/get-order-detail',
    id: 11,
    apiKey: 'token',
    params: { order_id: '53287421324' },
    nonce: 1587846358253,
    secret: 'secretKey',
    payload: 'private/get-order-detail11tokenorder_id532874213241587846358253',
    sig: '02ef0a52c9428e5d3dcc5dd24d534ca39ef73f35acd3f6945f139a2364ef67a9',
  },
  {
    n: 3,
    method: 'private/user-balance',
    id: 11,
    apiKey: 'token',
    params: {},
    nonce: 1611022832613,
    secret: 'secretKey',
    payload: 'private/user-balance11token1611022832613',
    sig: 'c1a4f2cc3e9148d10859e5813ac8bd3d010ef67d80fcaf9e4de9a9777e03c6f5',
  },
  {
    n: 4,
    method: 'private/cancel-order',
    id: 1,
    apiKey: 'token',
    params: { order_id: '18342311' },
    nonce: 1610905028000,
    secret: 'secretKey',
    payload: 'private/cancel-order1tokenorder_id183423111610905028000',
    sig: '05298b23f2d2a084284efd3c36d336f47393e987a6698ce6ac748a1efc704934',
  },
  {
    n: 5,
    method: 'private/get-accounts',
    id: 12,
    apiKey: 'token',
    params: { page_size: '30', page: '2' },
    nonce: 1587846358253,
    secret: 'secretKey',
    payload: 'private/get-accounts12tokenpage2page_size301587846358253',
    sig: 'c681f9c43452663dae2755d3979f38f852f1399be47ae3efb19e232243633b03',
  },
  {
    n: 6,
    method: 'private/create-order-list',
    id: 14,
    apiKey: 'API_KEY',
    params: {
      contingency_type: 'LIST',
      order_list: [
        { instrument_name: 'ONE_USDT', side: 'BUY', type: 'LIMIT', price: '0.24', quantity: '1.0' },
        { instrument_name: 'ONE_USDT', side: 'BUY', type: 'STOP_LIMIT', price: '0.27', quantity: '1.0', trigger_price: '0.26' },
      ],
    },
    nonce: 1587846358253,
    secret: 'SECRET_KEY',
    payload:
      'private/create-order-list14API_KEYcontingency_typeLISTorder_listinstrument_nameONE_USDTprice0.24quantity1.0sideBUYtypeLIMITinstrument_nameONE_USDTprice0.27quantity1.0sideBUYtrigger_price0.26typeSTOP_LIMIT1587846358253',
    sig: '0ce830395a52b741cd79a3f20d623de0eff72bfa9c6d87af37eba0cfafb51c6e',
  },
  {
    n: 7,
    method: 'private/create-withdrawal',
    id: -1,
    apiKey: 'token',
    params: {
      client_wid: 'my_withdrawal_002',
      currency: 'BTC',
      amount: '1',
      address: '2NBqqD5GRJ8wHy1PYyCXTe9ke5226FhavBf',
      address_tag: '',
      network_id: null,
    },
    nonce: 1607063412000,
    secret: 'secretKey',
    payload:
      'private/create-withdrawal-1tokenaddress2NBqqD5GRJ8wHy1PYyCXTe9ke5226FhavBfaddress_tagamount1client_widmy_withdrawal_002currencyBTCnetwork_idnull1607063412000',
    sig: 'e8d48c44f90c59dba61d400ac52d01956b20a18cee43c8c3c8929755c5b3cfc6',
  },
];

describe('v1 signature test vectors', () => {
  for (const v of VECTORS) {
    it(`vector ${v.n}: ${v.method}`, () => {
      const req = { method: v.method, id: v.id, apiKey: v.apiKey, params: v.params, nonce: v.nonce };
      expect(signingPayload(req)).toBe(v.payload);
      expect(sign(req, v.secret)).toBe(v.sig);
    });
  }

  it('puts id and nonce in the body as JSON integers and params as an object', () => {
    const body = signedBody({ method: 'private/user-balance', id: 11, apiKey: 'token', params: {}, nonce: 1611022832613 }, 'secretKey');
    expect(JSON.stringify(body)).toBe(
      '{"id":11,"method":"private/user-balance","api_key":"token","params":{},"nonce":1611022832613,"sig":"c1a4f2cc3e9148d10859e5813ac8bd3d010ef67d80fcaf9e4de9a9777e03c6f5"}',
    );
  });

  it('sorts keys by code unit, so upper case sorts before lower case', () => {
    expect(paramString({ b: '2', B: '1', a: '0' })).toBe('B1a0b2');
  });
});

describe('refuses parameter types that implementations sign differently', () => {
  const cases: [string, unknown][] = [
    ['boolean', { flag: true }],
    ['number', { quantity: 1.5 }],
    ['nested object', { inner: { a: '1' } }],
    ['array of scalars', { list: ['a', 'b'] }],
    ['undefined', { gone: undefined }],
    ['number inside an array item', { list: [{ price: 1 }] }],
  ];
  for (const [label, params] of cases) {
    it(label, () => {
      expect(() => paramString(params as SignableObject)).toThrow(UnsignableParamError);
    });
  }

  it('names the offending parameter path', () => {
    expect(() => paramString({ list: [{ price: 1 } as never] })).toThrow(/"list\[0\]\.price"/);
  });

  it('refuses a non-integer id or nonce (its text would not match what is sent)', () => {
    expect(() => signingPayload({ method: 'm', id: 1.5, apiKey: 'k', params: {}, nonce: 1 })).toThrow(UnsignableParamError);
    expect(() => signingPayload({ method: 'm', id: 1, apiKey: 'k', params: {}, nonce: 1.5 })).toThrow(/nonce/);
  });
});
