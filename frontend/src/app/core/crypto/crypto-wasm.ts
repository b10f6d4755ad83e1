export type CryptoWasm = typeof import('@matrix-org/matrix-sdk-crypto-wasm');

/**
 * Where the build puts the library's wasm (angular.json copies it from node_modules). Its own default,
 * `new URL('./pkg/…wasm', import.meta.url)`, points next to the bundled chunk, where nothing is.
 */
export const CRYPTO_WASM_PATH = 'crypto/matrix_sdk_crypto_wasm_bg.wasm';

let loading: Promise<CryptoWasm> | null = null;

/**
 * The Matrix crypto library, loaded on first use: its JavaScript is a lazy chunk and its 7.8 MB wasm
 * is fetched (as `application/wasm`, compiled while it streams) only when a device starts its crypto.
 * Under Node (unit tests) the package's Node entry reads the wasm from node_modules and ignores the URL.
 */
export function loadCryptoWasm(): Promise<CryptoWasm> {
  loading ??= (async () => {
    const wasm = await import('@matrix-org/matrix-sdk-crypto-wasm');
    const base = typeof document === 'undefined' ? undefined : document.baseURI;
    await wasm.initAsync(base ? new URL(CRYPTO_WASM_PATH, base) : undefined);
    return wasm;
  })();
  loading.catch(() => (loading = null));
  return loading;
}
