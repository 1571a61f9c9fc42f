//! RFC 3161 timestamp tokens as notation countersignatures: BER-to-DER conversion, CMS
//! SignedData, TSTInfo, the message imprint, the signer's ESS signing-certificate attribute,
//! the signed attributes and signature, TSA chain building and the timestamping chain rules.
//!
//! The token's own certificates are also offered as TSA roots, so that a token whose chain
//! is complete reaches path building and the signature checks rather than stopping at
//! "unknown authority".
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigaudit::notation::timestamp::{parse_token, validate_timestamping_chain, verify_timestamp};

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = parse_token(data) else {
        return;
    };
    let info = parsed.tst_info();
    let _ = info.validate(b"fuzz signature");
    let roots = parsed.certificates().to_vec();
    if let Ok((chain, index)) = parsed.verify_signed_token(&roots, info.gen_time) {
        assert!(index < roots.len());
        let _ = validate_timestamping_chain(&chain);
    }
    let _ = verify_timestamp(data, b"fuzz signature", &roots);
});
