//! Notary Project signatures are discovered and listed; their verification is not enabled in
//! this version, so they are reported `unsupported` and never trusted.

use super::{CheckResult, SigStatus, SignatureInput, Verdict, Verifier, VerifyContext, check};
use crate::codes::ResultCode;
use crate::media;

pub struct NotationEnvelope {
    format: &'static str,
}

static JWS: NotationEnvelope = NotationEnvelope {
    format: "notation-jws",
};
static COSE: NotationEnvelope = NotationEnvelope {
    format: "notation-cose",
};
static OTHER: NotationEnvelope = NotationEnvelope {
    format: "notation-unknown",
};

pub fn for_media_type(media_type: &str) -> &'static dyn Verifier {
    match media_type {
        media::NOTATION_JWS => &JWS,
        media::NOTATION_COSE => &COSE,
        _ => &OTHER,
    }
}

impl Verifier for NotationEnvelope {
    fn format(&self) -> &'static str {
        self.format
    }

    fn verify(&self, input: &SignatureInput<'_>, _ctx: &VerifyContext<'_>) -> Verdict {
        let mut v = Verdict::new(
            SigStatus::Unsupported,
            ResultCode::UnsupportedFormat,
            format!(
                "Notary Project signature ({}): listed, not verified in this version",
                input.layer.media_type
            ),
        );
        v.checks.push(check(
            "integrity",
            CheckResult::NotChecked,
            "Notary Project verification is not enabled",
        ));
        v
    }
}
