// What an SMSC's refusal of a submit_sm means for the message (command_status values of
// SMPP 3.4 §5.1.3, and the few SMPP 5.0 added that SMSCs answer 3.4 binds with).
// Permanent: the message itself is refused (its number, its length, its coding, our
// sender address for it): sending it again changes nothing, so it fails at once.
// Everything else (system error, queue full, submit failed, unknown) may pass later.
import type { SendResult } from '../../channel.js';

const PERMANENT: Record<number, string> = {
  1: 'ESME_RINVMSGLEN: message length is invalid',
  10: 'ESME_RINVSRCADR: invalid source address',
  11: 'ESME_RINVDSTADR: invalid destination address',
  21: 'ESME_RINVSERTYP: invalid service type',
  67: 'ESME_RINVESMCLASS: invalid esm_class',
  72: 'ESME_RINVSRCTON: invalid source address TON',
  73: 'ESME_RINVSRCNPI: invalid source address NPI',
  80: 'ESME_RINVDSTTON: invalid destination address TON',
  81: 'ESME_RINVDSTNPI: invalid destination address NPI',
  101: 'ESME_RX_P_APPN: permanent error at the receiving end',
  102: 'ESME_RX_R_APPN: message rejected at the receiving end',
  260: 'ESME_RINVDCS: invalid data coding scheme',
};

const TRANSIENT: Record<number, string> = {
  8: 'ESME_RSYSERR: system error',
  20: 'ESME_RMSGQFUL: message queue full',
  69: 'ESME_RSUBMITFAIL: submit_sm failed',
  100: 'ESME_RX_T_APPN: temporary error at the receiving end',
  254: 'ESME_RDELIVERYFAILURE: delivery failure',
  255: 'ESME_RUNKNOWNERR: unknown error',
};

const THROTTLED = 0x58;

/** A refused submit_sm (command_status other than 0) in the dispatcher's terms. */
export function submitFailure(status: number): Extract<SendResult, { ok: false }> {
  const hex = `0x${status.toString(16).padStart(8, '0')}`;
  if (status === THROTTLED) {
    return {
      ok: false,
      kind: 'rate_limited',
      reason: 'SMSC: ESME_RTHROTTLED',
      retryAfterMs: 1000,
    };
  }
  const permanent = PERMANENT[status];
  if (permanent) return { ok: false, kind: 'permanent', reason: `SMSC ${hex} ${permanent}` };
  return {
    ok: false,
    kind: 'transient',
    reason: `SMSC refused submit_sm (${hex}${TRANSIENT[status] ? ` ${TRANSIENT[status]}` : ''})`,
  };
}
