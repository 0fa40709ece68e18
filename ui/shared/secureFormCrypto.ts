// The secure form's end-to-end encryption (issue 6). The agent console makes an ephemeral ECDH P-256 key
// pair per chat and keeps the private key in memory, non-extractable; the widget encrypts the card details
// to its public key (ECDH → HKDF-SHA-256 → AES-256-GCM). Parley only relays base64url strings.

export interface CardDetails {
  number: string;
  expiry: string;
  name: string;
  cvc: string;
}

export interface SealedForm {
  publicKey: string;
  iv: string;
  ciphertext: string;
}

const CURVE = { name: 'ECDH', namedCurve: 'P-256' } as const;
const subtle = () => globalThis.crypto.subtle;

export function toBase64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Binds a key and its ciphertext to one form of one chat: a relayed blob cannot be replayed elsewhere. */
const context = (chatId: number, formId: string) =>
  new TextEncoder().encode(`parley secure form v1 ${chatId} ${formId}`);

async function sharedKey(
  privateKey: CryptoKey,
  peerPublicKey: string,
  info: Uint8Array<ArrayBuffer>,
  usage: KeyUsage,
): Promise<CryptoKey> {
  const peer = await subtle().importKey('raw', fromBase64url(peerPublicKey), CURVE, false, []);
  const secret = await subtle().deriveBits({ name: 'ECDH', public: peer }, privateKey, 256);
  const hkdf = await subtle().importKey('raw', secret, 'HKDF', false, ['deriveKey']);
  return subtle().deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info },
    hkdf,
    { name: 'AES-GCM', length: 256 },
    false,
    [usage],
  );
}

/** The agent's key pair for one chat: the private half can never leave this page's memory. */
export async function createAgentKey(): Promise<{ privateKey: CryptoKey; publicKey: string }> {
  const pair = await subtle().generateKey(CURVE, false, ['deriveBits']);
  const raw = new Uint8Array(await subtle().exportKey('raw', pair.publicKey));
  return { privateKey: pair.privateKey, publicKey: toBase64url(raw) };
}

/** The widget's side: encrypt the details to the agent's public key with a fresh key pair of its own. */
export async function sealForAgent(
  agentPublicKey: string,
  chatId: number,
  formId: string,
  details: CardDetails,
): Promise<SealedForm> {
  const mine = await subtle().generateKey(CURVE, false, ['deriveBits']);
  const info = context(chatId, formId);
  const key = await sharedKey(mine.privateKey, agentPublicKey, info, 'encrypt');
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const plaintext = new TextEncoder().encode(JSON.stringify(details));
  const ciphertext = await subtle().encrypt(
    { name: 'AES-GCM', iv, additionalData: info },
    key,
    plaintext,
  );
  const publicKey = new Uint8Array(await subtle().exportKey('raw', mine.publicKey));
  return {
    publicKey: toBase64url(publicKey),
    iv: toBase64url(iv),
    ciphertext: toBase64url(new Uint8Array(ciphertext)),
  };
}

/** The agent's side: open what the visitor sealed; throws if anything was altered. */
export async function openFromVisitor(
  privateKey: CryptoKey,
  chatId: number,
  formId: string,
  sealed: SealedForm,
): Promise<CardDetails> {
  const info = context(chatId, formId);
  const key = await sharedKey(privateKey, sealed.publicKey, info, 'decrypt');
  const plaintext = await subtle().decrypt(
    { name: 'AES-GCM', iv: fromBase64url(sealed.iv), additionalData: info },
    key,
    fromBase64url(sealed.ciphertext),
  );
  const parsed = JSON.parse(new TextDecoder().decode(plaintext)) as Partial<CardDetails>;
  return {
    number: String(parsed.number ?? ''),
    expiry: String(parsed.expiry ?? ''),
    name: String(parsed.name ?? ''),
    cvc: String(parsed.cvc ?? ''),
  };
}
