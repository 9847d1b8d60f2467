//! The cryptography under jsonwebtoken: exactly HS256 (RustCrypto's `hmac` and `sha2`) and
//! EdDSA (`ed25519-dalek`), nothing else. jsonwebtoken is built without a crypto backend and
//! this provider is installed instead, so no RSA or ECDSA code is compiled in at all; an
//! algorithm other than these two is refused here as well as by the pinning in `tokens.rs`.

use std::sync::{Once, RwLock};

use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use hmac::{Hmac, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwkUtils, JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use sha2::{Digest, Sha256, Sha384, Sha512};

struct Hs256(Hmac<Sha256>);

impl Hs256 {
    fn new(secret: &[u8]) -> Result<Self, Error> {
        Hmac::new_from_slice(secret)
            .map(Self)
            .map_err(|_| ErrorKind::InvalidKeyFormat.into())
    }
}

impl Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, signature::Error> {
        let mut mac = self.0.clone();
        mac.update(message);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl Verifier<Vec<u8>> for Hs256 {
    /// Constant time, so the comparison leaks nothing about the right signature.
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        let mut mac = self.0.clone();
        mac.update(message);
        mac.verify_slice(signature)
            .map_err(signature::Error::from_source)
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

struct EdDsaSigner(SigningKey);

impl Signer<Vec<u8>> for EdDsaSigner {
    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, signature::Error> {
        Ok(self.0.sign(message).to_bytes().to_vec())
    }
}

impl JwtSigner for EdDsaSigner {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

struct EdDsaVerifier(VerifyingKey);

impl Verifier<Vec<u8>> for EdDsaVerifier {
    /// `verify_strict`: refuses the malleable and small-order edge cases plain `verify` allows.
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        let signature = Signature::from_slice(signature)?;
        self.0.verify_strict(message, &signature)
    }
}

impl JwtVerifier for EdDsaVerifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

/// Public keys already decoded. Decoding one (a point decompression) costs more than an HMAC,
/// and the app verifies with the same one or two keys all day. Only keys the app itself chose
/// (its own, or its issuer's JWKS) ever reach here, and at most a few are kept.
static VERIFYING_KEYS: RwLock<Vec<([u8; 32], VerifyingKey)>> = RwLock::new(Vec::new());
const MAX_VERIFYING_KEYS: usize = 16;

fn verifying_key(bytes: &[u8]) -> Result<VerifyingKey, Error> {
    let bytes: [u8; 32] = bytes
        .get(..32)
        .and_then(|b| b.try_into().ok())
        .ok_or(ErrorKind::InvalidEddsaKey)?;
    if let Ok(known) = VERIFYING_KEYS.read()
        && let Some((_, key)) = known.iter().find(|(b, _)| *b == bytes)
    {
        return Ok(*key);
    }
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| ErrorKind::InvalidEddsaKey)?;
    if let Ok(mut known) = VERIFYING_KEYS.write() {
        if known.len() >= MAX_VERIFYING_KEYS {
            known.remove(0);
        }
        known.push((bytes, key));
    }
    Ok(key)
}

fn new_signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    match (algorithm, key.family()) {
        (Algorithm::HS256, AlgorithmFamily::Hmac) => {
            Ok(Box::new(Hs256::new(key.try_get_hmac_secret()?)?))
        }
        (Algorithm::EdDSA, AlgorithmFamily::Ed) => {
            let signing =
                SigningKey::from_pkcs8_der(key.inner()).map_err(|_| ErrorKind::InvalidEddsaKey)?;
            Ok(Box::new(EdDsaSigner(signing)))
        }
        (Algorithm::HS256 | Algorithm::EdDSA, _) => Err(ErrorKind::InvalidKeyFormat.into()),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

fn new_verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    match (algorithm, key.family()) {
        (Algorithm::HS256, AlgorithmFamily::Hmac) => {
            Ok(Box::new(Hs256::new(key.try_get_hmac_secret()?)?))
        }
        (Algorithm::EdDSA, AlgorithmFamily::Ed) => {
            Ok(Box::new(EdDsaVerifier(verifying_key(key.as_bytes())?)))
        }
        (Algorithm::HS256 | Algorithm::EdDSA, _) => Err(ErrorKind::InvalidKeyFormat.into()),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

fn no_rsa(_: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
    Err(ErrorKind::InvalidAlgorithm.into())
}

fn no_ecdsa(
    _: &[u8],
    _: Algorithm,
) -> Result<(jsonwebtoken::jwk::EllipticCurve, Vec<u8>, Vec<u8>), Error> {
    Err(ErrorKind::InvalidAlgorithm.into())
}

fn digest(data: &[u8], hash: ThumbprintHash) -> Vec<u8> {
    match hash {
        ThumbprintHash::SHA256 => Sha256::digest(data).to_vec(),
        ThumbprintHash::SHA384 => Sha384::digest(data).to_vec(),
        ThumbprintHash::SHA512 => Sha512::digest(data).to_vec(),
    }
}

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    jwk_utils: JwkUtils {
        extract_rsa_public_key_components: no_rsa,
        extract_ec_public_key_coordinates: no_ecdsa,
        compute_digest: digest,
    },
};

/// Makes this the provider jsonwebtoken uses in this process. Safe to call any number of times.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Fails only if another provider was installed first, which nothing here does.
        let _ = PROVIDER.install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo audit` reads Cargo.lock, whatever is compiled: RSA (RUSTSEC-2023-0071) must not
    /// come back through a feature that names a driver we never build.
    #[test]
    fn no_rsa_or_ecdsa_crate_is_even_in_the_lock_file() {
        let lock =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock")).unwrap();
        for name in ["rsa", "p256", "p384", "sqlx-mysql"] {
            assert!(
                !lock.contains(&format!("name = \"{name}\"\n")),
                "{name} is in Cargo.lock"
            );
        }
    }

    #[test]
    fn only_hs256_and_eddsa_exist() {
        install();
        let key = EncodingKey::from_secret(b"a-secret-a-secret-a-secret-a-secret");
        let header = jsonwebtoken::Header::new(Algorithm::HS256);
        assert!(jsonwebtoken::encode(&header, &serde_json::json!({}), &key).is_ok());
        for alg in [
            Algorithm::HS384,
            Algorithm::HS512,
            Algorithm::RS256,
            Algorithm::ES256,
        ] {
            let header = jsonwebtoken::Header::new(alg);
            let refused = jsonwebtoken::encode(&header, &serde_json::json!({}), &key);
            assert!(refused.is_err(), "{alg:?} must not be available");
        }
    }
}
