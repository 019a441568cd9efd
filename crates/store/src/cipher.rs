//! One object version's chunk cipher: AES-256-GCM (ring) under the `aead` crate's STREAM-BE32.

use aes_gcm::aead::{
    KeyInit,
    stream::{NewStream, StreamBE32, StreamPrimitive},
};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{DataKey, ObjectId, StoreError, format::Header, ring_gcm::RingAes256Gcm};

/// HKDF info prefix for object keys.
const KEY_INFO: &[u8] = b"dnavault/store/v1/object-key\0";

pub(crate) struct ChunkCipher {
    stream: StreamBE32<RingAes256Gcm>,
    /// Header and object id: authenticated with every chunk.
    aad: Vec<u8>,
    object: ObjectId,
}

impl ChunkCipher {
    pub(crate) fn new(data_key: &DataKey, object: &ObjectId, header: &Header) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(Some(&header.salt), data_key.expose())
            .expand_multi_info(&[KEY_INFO, object.as_str().as_bytes()], key.as_mut_slice())
            .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF-SHA256 length"));
        let aead = RingAes256Gcm::new(key.as_slice().into());
        let stream = StreamBE32::from_aead(aead, header.nonce_prefix.as_slice().into());
        let mut aad = header.to_bytes().to_vec();
        aad.extend_from_slice(object.as_str().as_bytes());
        Self {
            stream,
            aad,
            object: object.clone(),
        }
    }

    /// Encrypts chunk `index` in place, appending its tag.
    pub(crate) fn seal(
        &self,
        index: u32,
        last: bool,
        chunk: &mut Vec<u8>,
    ) -> Result<(), StoreError> {
        self.stream
            .encrypt_in_place(index, last, &self.aad, chunk)
            .map_err(|_| StoreError::TooLarge {
                object: self.object.to_string(),
            })
    }

    /// Decrypts chunk `index` in place, removing its tag.
    pub(crate) fn open(
        &self,
        index: u32,
        last: bool,
        chunk: &mut Vec<u8>,
    ) -> Result<(), StoreError> {
        self.stream
            .decrypt_in_place(index, last, &self.aad, chunk)
            .map_err(|_| StoreError::Tampered {
                object: self.object.to_string(),
                chunk: index,
            })
    }

    pub(crate) fn object(&self) -> &ObjectId {
        &self.object
    }
}
