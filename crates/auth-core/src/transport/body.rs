//! Reading a response body up to the client's limit, with one copy at most per byte; a body
//! over the limit is not read past it.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use reqwest::header::HeaderMap;

use crate::error::Error;
use crate::error::ResponseMeta;
use crate::transport::client::Client;
use crate::transport::response::{Response, Sent};

impl Client {
    pub(crate) async fn read(
        &self,
        mut response: reqwest::Response,
        sent: &Sent,
    ) -> Result<Response, Error> {
        let limit = self.shared.max_body_bytes;
        let status = response.status();
        let too_large = |headers: HeaderMap, body: &Bytes| Error::BodyTooLarge {
            limit,
            meta: ResponseMeta::new(
                status,
                headers,
                self.shared.request_id_headers,
                body,
                Some(Arc::new(sent.clone())),
            ),
        };
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_large(
                std::mem::take(response.headers_mut()),
                &Bytes::new(),
            ));
        }
        // Most bodies arrive in one chunk: keep it as it is; from the second chunk on, every
        // byte is copied once, into `joined`.
        let mut single: Option<Bytes> = None;
        let mut joined = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(Error::from_reqwest)? {
            let received = single.as_ref().map_or(joined.len(), Bytes::len);
            if let Some(first) = single.take() {
                joined.reserve(first.len() + chunk.len());
                joined.extend_from_slice(&first);
            } else if joined.is_empty() && received + chunk.len() <= limit {
                single = Some(chunk);
                continue;
            }
            if received + chunk.len() > limit {
                joined.extend_from_slice(&chunk[..limit - received]);
                return Err(too_large(
                    std::mem::take(response.headers_mut()),
                    &joined.freeze(),
                ));
            }
            joined.extend_from_slice(&chunk);
        }
        let body = single.unwrap_or_else(|| joined.freeze());
        Ok(Response::new(
            status,
            std::mem::take(response.headers_mut()),
            body,
            self.shared.request_id_headers,
            sent.clone(),
        ))
    }
}
