//! The crypto floor of a scan: as many signature verifications of each kind as a scan of a
//! synthetic rootDir performs, done in a tight loop with the same library (aws-lc-rs, keys
//! parsed once) over the same number of threads, with nothing else: no file read, no parsing,
//! no report. A scan's wall time divided by this is how far it is from the floor.
//!
//! ```sh
//! cargo run --release --example floor -- --synth /tmp/r10k.extra/synth.json [-j THREADS]
//! cargo run --release --example floor -- --cosign 10000 --notation-rsa 10000 [--notation-es384 N]
//! ```
//! Kinds: cosign ECDSA P-256 over a simple-signing payload; notation RSA-3072 PSS SHA-384 and
//! ECDSA P-384 over a JWS signing input (one envelope verification per notation signature:
//! certificate links are verified once per distinct chain by a scan, a handful in all, and are
//! left out). Each kind verifies a pool of distinct signatures round-robin (verification keeps
//! no state between calls, so this costs what distinct signatures would). Prints one
//! `key=value` line.

use std::time::Instant;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, KeyPair, ParsedPublicKey};
use rayon::prelude::*;

/// Distinct signatures per kind.
const POOL: usize = 32;

struct Pool {
    key: ParsedPublicKey,
    items: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Pool {
    fn verify(&self, i: usize) -> bool {
        let (msg, signature) = &self.items[i % self.items.len()];
        self.key.verify_sig(msg, signature).is_ok()
    }
}

/// `POOL` messages of `len` bytes, each distinct.
fn messages(len: usize) -> Vec<Vec<u8>> {
    (0..POOL)
        .map(|i| {
            (0..len)
                .map(|j| b"0123456789abcdef"[(i * 7 + j * 13) % 16])
                .collect()
        })
        .collect()
}

fn ecdsa_pool(
    signing: &'static sig::EcdsaSigningAlgorithm,
    verifying: &'static sig::EcdsaVerificationAlgorithm,
    len: usize,
) -> Result<Pool, Box<dyn std::error::Error>> {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(signing, &rng)?;
    let kp = EcdsaKeyPair::from_pkcs8(signing, pkcs8.as_ref())?;
    let key = ParsedPublicKey::new(verifying, kp.public_key().as_ref())?;
    let items = messages(len)
        .into_iter()
        .map(|m| {
            let s = kp.sign(&rng, &m)?;
            Ok((m, s.as_ref().to_vec()))
        })
        .collect::<Result<_, aws_lc_rs::error::Unspecified>>()?;
    Ok(Pool { key, items })
}

fn rsa_pool(len: usize) -> Result<Pool, Box<dyn std::error::Error>> {
    let rng = SystemRandom::new();
    let kp = RsaKeyPair::generate(KeySize::Rsa3072)?;
    let key = ParsedPublicKey::new(&sig::RSA_PSS_2048_8192_SHA384, kp.public_key().as_ref())?;
    let items = messages(len)
        .into_iter()
        .map(|m| {
            let mut s = vec![0; kp.public_modulus_len()];
            kp.sign(&sig::RSA_PSS_SHA384, &rng, &m, &mut s)?;
            Ok((m, s))
        })
        .collect::<Result<_, aws_lc_rs::error::Unspecified>>()?;
    Ok(Pool { key, items })
}

/// The verification counts of a synth.json's `stats`.
fn from_synth(path: &str) -> Result<[usize; 3], Box<dyn std::error::Error>> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
    let n = |k: &str| v["stats"][k].as_u64().unwrap_or(0) as usize;
    Ok([
        n("cosign"),
        n("notationRsa"),
        n("notationEs384Jws") + n("notationEs384Cose"),
    ])
}

/// jemalloc, as the binary uses (Cargo.toml says why), so the floor and the scan share an allocator.
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: floor (--synth SYNTH.json | --cosign N --notation-rsa N [--notation-es384 N]) [-j THREADS]";
    let mut counts = [0usize; 3];
    let mut threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(usage);
        match a.as_str() {
            "--synth" => counts = from_synth(&value()?)?,
            "--cosign" => counts[0] = value()?.parse()?,
            "--notation-rsa" => counts[1] = value()?.parse()?,
            "--notation-es384" => counts[2] = value()?.parse()?,
            "-j" | "--jobs" => threads = value()?.parse()?,
            _ => return Err(usage.into()),
        }
    }
    let pools = [
        ecdsa_pool(
            &sig::ECDSA_P256_SHA256_ASN1_SIGNING,
            &sig::ECDSA_P256_SHA256_ASN1,
            280,
        )?,
        rsa_pool(900)?,
        ecdsa_pool(
            &sig::ECDSA_P384_SHA384_ASN1_SIGNING,
            &sig::ECDSA_P384_SHA384_ASN1,
            900,
        )?,
    ];
    // The work interleaved as a scan meets it: image by image.
    let most = counts.iter().copied().max().unwrap_or(0);
    let work: Vec<(usize, usize)> = (0..most)
        .flat_map(|i| (0..3).filter(move |&k| i < counts[k]).map(move |k| (k, i)))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let started = Instant::now();
    let ok = pool.install(|| {
        work.par_iter()
            .filter(|&&(k, i)| pools[k].verify(i))
            .count()
    });
    let elapsed = started.elapsed().as_secs_f64();
    if ok != work.len() {
        return Err(format!("{} of {} verifications failed", work.len() - ok, work.len()).into());
    }
    println!(
        "floor_s={elapsed:.3} threads={threads} verifications={} cosign_p256={} notation_rsa3072_pss={} notation_p384={} per_s={:.0}",
        work.len(),
        counts[0],
        counts[1],
        counts[2],
        work.len() as f64 / elapsed.max(1e-9),
    );
    Ok(())
}
