/** Reads the text chunks (tEXt, iTXt, zTXt) of a PNG, where SaveImage stores the workflow and prompt. */

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function splitAtNull(bytes, from) {
  const end = bytes.indexOf(0, from);
  return end < 0 ? [bytes.length, bytes.length] : [end, end + 1];
}

/** {keyword: text} of every text chunk; throws if the bytes are not a PNG. */
export async function readPngText(buffer) {
  const bytes = new Uint8Array(buffer);
  if (!SIGNATURE.every((b, i) => bytes[i] === b)) throw new Error('not a PNG file');
  const view = new DataView(buffer instanceof ArrayBuffer ? buffer : bytes.buffer);
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8');
  const out = {};
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = view.getUint32(at);
    const type = latin1.decode(bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    at += 12 + length;
    if (type === 'IEND') break;
    if (type !== 'tEXt' && type !== 'iTXt' && type !== 'zTXt') continue;
    const [keyEnd, rest] = splitAtNull(data, 0);
    const key = latin1.decode(data.subarray(0, keyEnd));
    if (type === 'tEXt') {
      out[key] = latin1.decode(data.subarray(rest));
    } else if (type === 'zTXt') {
      out[key] = latin1.decode(await inflate(data.subarray(rest + 1)));
    } else {
      const compressed = data[rest] === 1;
      const [, langEnd] = splitAtNull(data, rest + 2);
      const [, transEnd] = splitAtNull(data, langEnd);
      const text = data.subarray(transEnd);
      out[key] = utf8.decode(compressed ? await inflate(text) : text);
    }
  }
  return out;
}
