import type { KeysBackupRequest, KeysClaimRequest, OlmMachine, OutgoingRequest, SignatureUploadRequest, ToDeviceRequest } from '@matrix-org/matrix-sdk-crypto-wasm';
import type { CryptoWasm } from './crypto-wasm';
import type { E2eeTransport, MatrixJson } from './e2ee-transport';

export type AnyOutgoingRequest = OutgoingRequest | KeysClaimRequest | ToDeviceRequest | SignatureUploadRequest | KeysBackupRequest;

/**
 * Sends one request OlmMachine built to its route and answers the machine. A kind of request the
 * transport has no route for (a server without cross-signing or backup) is left unsent.
 */
export async function sendOutgoingRequest(wasm: CryptoWasm, machine: OlmMachine, transport: E2eeTransport, request: AnyOutgoingRequest, stillOpen: () => void): Promise<void> {
  const { RequestType } = wasm;
  const body = JSON.parse(request.body) as MatrixJson;
  let response: MatrixJson | undefined;
  switch (request.type) {
    case RequestType.KeysUpload:
      response = await transport.keysUpload(body);
      break;
    case RequestType.KeysQuery:
      response = await transport.keysQuery(body);
      break;
    case RequestType.KeysClaim:
      response = await transport.keysClaim(body);
      break;
    case RequestType.ToDevice: {
      const toDevice = request as ToDeviceRequest;
      response = await transport.sendToDevice(toDevice.event_type, toDevice.txn_id, body);
      break;
    }
    case RequestType.SignatureUpload:
      response = await transport.signaturesUpload?.(body);
      break;
    case RequestType.KeysBackup:
      response = await transport.backupPut?.((request as KeysBackupRequest).version, body);
      break;
    default:
      // Room messages: Iris carries verification over to-device messages only.
      return;
  }
  stillOpen();
  // A request made outside the machine's queue (a signature of ours) has no id to report.
  if (response !== undefined && request.id) await machine.markRequestAsSent(request.id, request.type, JSON.stringify(response));
}
