//! [`Bridge`]: the LLBBridge client over stdio.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tonic::transport::{Channel, Endpoint, Uri};

use crate::proto::fstypes::Stat;
use crate::proto::gw::{self, llb_bridge_client::LlbBridgeClient};
use crate::proto::pb;

use super::api::Gateway;
use super::caps::{Caps, id};
use super::status::{ReturnError, RpcError};
use super::types::{FileRange, FrontendResult, SolvedRef, Warning};

/// buildkitd's gRPC limit for one message in either direction
/// (containerd's default, which the gateway server uses).
pub const MAX_MESSAGE: usize = 16 << 20;

/// How long to wait for the first Ping. BuildKit's Go client uses 15 s too.
const PING_TIMEOUT: Duration = Duration::from_secs(15);

/// A connected gateway. Not `Clone`: the two `return_*` methods take it by
/// value, so `Return` can only ever be sent once.
#[derive(Debug)]
pub struct Bridge {
    client: LlbBridgeClient<Channel>,
    caps: Caps,
    /// The frontend inputs, asked for once.
    inputs: tokio::sync::OnceCell<BTreeMap<String, pb::Definition>>,
}

/// Why the gateway could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The HTTP/2 connection over stdio failed.
    #[error("connecting to buildkitd over stdio: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// buildkitd never answered.
    #[error("buildkitd did not answer Ping within {}s", PING_TIMEOUT.as_secs())]
    PingTimeout,
    /// buildkitd answered Ping with an error.
    #[error(transparent)]
    Ping(#[from] RpcError),
}

fn rpc(name: &'static str) -> impl FnOnce(tonic::Status) -> RpcError {
    move |status| RpcError { rpc: name, status }
}

impl Bridge {
    /// Connects over this process's stdin (server to us) and stdout (us to
    /// server).
    pub async fn connect_stdio() -> Result<Bridge, ConnectError> {
        Bridge::connect(tokio::io::join(tokio::io::stdin(), tokio::io::stdout())).await
    }

    /// Connects over `io`, speaking HTTP/2 with prior knowledge, and pings
    /// for caps.
    pub async fn connect<IO>(io: IO) -> Result<Bridge, ConnectError>
    where
        IO: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        // One-shot: the pipe is one connection for the life of the process.
        // A reconnect would write a second HTTP/2 preface into the same
        // stream, so any later connect attempt fails instead.
        let slot = Arc::new(Mutex::new(Some(io)));
        let connector = tower::service_fn(move |_: Uri| {
            let io = slot.lock().ok().and_then(|mut s| s.take());
            async move {
                io.map(TokioIo::new).ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "the stdio connection to buildkitd is closed",
                    )
                })
            }
        });
        // Large windows: Go's server allows 1 MiB frames and we read files in
        // multi-MiB ranges; h2's 64 KiB defaults would stall every read.
        let channel = Endpoint::from_static("http://buildkitd.stdio")
            .initial_stream_window_size(Some(8 << 20))
            .initial_connection_window_size(Some(64 << 20))
            .connect_with_connector(connector)
            .await?;
        let mut client = LlbBridgeClient::new(channel)
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);
        let pong = tokio::time::timeout(PING_TIMEOUT, client.ping(gw::PingRequest {}))
            .await
            .map_err(|_| ConnectError::PingTimeout)?
            .map_err(rpc("Ping"))?
            .into_inner();
        let caps = Caps::from_pong(&pong.frontend_api_caps, &pong.llb_caps);
        Ok(Bridge {
            client,
            caps,
            inputs: tokio::sync::OnceCell::new(),
        })
    }

    /// Sends a Solve asking for results as refs, like BuildKit's Go client
    /// (older daemons answer with the deprecated string forms, handled by
    /// the callers).
    async fn send_solve(&self, mut req: gw::SolveRequest) -> Result<gw::SolveResponse, RpcError> {
        req.allow_result_return = true;
        req.allow_result_array_ref = true;
        let resp = self.client.clone().solve(req).await.map_err(rpc("Solve"))?;
        Ok(resp.into_inner())
    }

    /// Finishes the build with `r` as its result.
    pub async fn return_result(
        self,
        r: SolvedRef,
        metadata: BTreeMap<String, Vec<u8>>,
    ) -> Result<(), RpcError> {
        // Daemons without `proto.refarray` only understand the old
        // string-typed ref.
        let result = if self.caps.has_gateway(id::PROTO_REF_ARRAY) {
            gw::result::Result::Ref(gw::Ref {
                id: r.id,
                def: None,
            })
        } else {
            gw::result::Result::RefDeprecated(r.id)
        };
        self.return_ok(result, metadata).await
    }

    /// Finishes the build with one result per key (per platform, with
    /// `refs.platforms` in `metadata` saying which is which).
    pub async fn return_refs(
        self,
        refs: BTreeMap<String, SolvedRef>,
        metadata: BTreeMap<String, Vec<u8>>,
    ) -> Result<(), RpcError> {
        let result = if self.caps.has_gateway(id::PROTO_REF_ARRAY) {
            gw::result::Result::Refs(gw::RefMap {
                refs: refs
                    .into_iter()
                    .map(|(k, r)| {
                        (
                            k,
                            gw::Ref {
                                id: r.id,
                                def: None,
                            },
                        )
                    })
                    .collect(),
            })
        } else {
            gw::result::Result::RefsDeprecated(gw::RefMapDeprecated {
                refs: refs.into_iter().map(|(k, r)| (k, r.id)).collect(),
            })
        };
        self.return_ok(result, metadata).await
    }

    async fn return_ok(
        self,
        result: gw::result::Result,
        metadata: BTreeMap<String, Vec<u8>>,
    ) -> Result<(), RpcError> {
        let req = gw::ReturnRequest {
            result: Some(gw::Result {
                result: Some(result),
                metadata,
            }),
            error: None,
        };
        self.send_return(req).await
    }

    /// Finishes the build with an error.
    pub async fn return_error(self, err: &ReturnError) -> Result<(), RpcError> {
        let req = gw::ReturnRequest {
            result: None,
            error: Some(err.to_status()),
        };
        self.send_return(req).await
    }

    async fn send_return(mut self, req: gw::ReturnRequest) -> Result<(), RpcError> {
        self.client.r#return(req).await.map_err(rpc("Return"))?;
        Ok(())
    }
}

impl Gateway for Bridge {
    fn caps(&self) -> &Caps {
        &self.caps
    }

    async fn inputs(&self) -> Result<&BTreeMap<String, pb::Definition>, RpcError> {
        self.inputs
            .get_or_try_init(|| async {
                if !self.caps.has_gateway(id::FRONTEND_INPUTS) {
                    return Ok(BTreeMap::new());
                }
                let resp = self
                    .client
                    .clone()
                    .inputs(gw::InputsRequest {})
                    .await
                    .map_err(rpc("Inputs"))?;
                Ok(resp.into_inner().definitions)
            })
            .await
    }

    async fn solve(&self, def: pb::Definition) -> Result<SolvedRef, RpcError> {
        let resp = self
            .send_solve(gw::SolveRequest {
                definition: Some(def),
                ..Default::default()
            })
            .await?;
        match resp.result.and_then(|r| r.result) {
            Some(gw::result::Result::Ref(r)) => Ok(SolvedRef { id: r.id }),
            Some(gw::result::Result::RefDeprecated(id)) => Ok(SolvedRef { id }),
            Some(gw::result::Result::Refs(_) | gw::result::Result::RefsDeprecated(_)) => {
                Err(RpcError {
                    rpc: "Solve",
                    status: tonic::Status::internal(
                        "the daemon returned several results where one was expected",
                    ),
                })
            }
            None => Ok(SolvedRef { id: resp.r#ref }),
        }
    }

    async fn solve_frontend(
        &self,
        frontend: &str,
        opts: BTreeMap<String, String>,
        inputs: BTreeMap<String, pb::Definition>,
    ) -> Result<FrontendResult, RpcError> {
        let resp = self
            .send_solve(gw::SolveRequest {
                frontend: frontend.to_string(),
                frontend_opt: opts,
                frontend_inputs: inputs,
                // Build it now, so its errors are its own and not a later read's.
                evaluate: self.caps.has_gateway(id::SOLVE_EVALUATE),
                ..Default::default()
            })
            .await?;
        let result = resp.result.unwrap_or_default();
        let mut out = FrontendResult {
            metadata: result.metadata,
            ..Default::default()
        };
        match result.result {
            Some(gw::result::Result::Ref(r)) => out.single = Some(r),
            Some(gw::result::Result::RefDeprecated(id)) => {
                out.single = Some(gw::Ref { id, def: None })
            }
            Some(gw::result::Result::Refs(m)) => out.refs = m.refs,
            Some(gw::result::Result::RefsDeprecated(m)) => {
                out.refs = m
                    .refs
                    .into_iter()
                    .map(|(k, id)| (k, gw::Ref { id, def: None }))
                    .collect();
            }
            None => {
                out.single = Some(gw::Ref {
                    id: resp.r#ref,
                    def: None,
                })
            }
        }
        Ok(out)
    }

    async fn stat_file(&self, r: &SolvedRef, path: &str) -> Result<Stat, RpcError> {
        let req = gw::StatFileRequest {
            r#ref: r.id.clone(),
            path: path.to_string(),
        };
        let resp = self
            .client
            .clone()
            .stat_file(req)
            .await
            .map_err(rpc("StatFile"))?;
        Ok(resp.into_inner().stat.unwrap_or_default())
    }

    async fn read_file(
        &self,
        r: &SolvedRef,
        path: &str,
        range: Option<FileRange>,
    ) -> Result<Vec<u8>, RpcError> {
        let req = gw::ReadFileRequest {
            r#ref: r.id.clone(),
            file_path: path.to_string(),
            range: range.map(|r| gw::FileRange {
                offset: r.offset as i64,
                length: r.length as i64,
            }),
        };
        let resp = self
            .client
            .clone()
            .read_file(req)
            .await
            .map_err(rpc("ReadFile"))?;
        Ok(resp.into_inner().data)
    }

    async fn read_dir(
        &self,
        r: &SolvedRef,
        dir: &str,
        pattern: &str,
    ) -> Result<Vec<Stat>, RpcError> {
        let req = gw::ReadDirRequest {
            r#ref: r.id.clone(),
            dir_path: dir.to_string(),
            include_pattern: pattern.to_string(),
        };
        let resp = self
            .client
            .clone()
            .read_dir(req)
            .await
            .map_err(rpc("ReadDir"))?;
        Ok(resp.into_inner().entries)
    }

    async fn warn(&self, warning: Warning) -> Result<(), RpcError> {
        let (info, ranges) = match warning.source {
            Some((filename, data, start, end)) => {
                let at = |line: u32| pb::Position {
                    line: i32::try_from(line).unwrap_or(i32::MAX),
                    character: 0,
                };
                let info = pb::SourceInfo {
                    filename,
                    data,
                    definition: None,
                    language: "Dockerfile".into(),
                };
                let range = pb::Range {
                    start: Some(at(start)),
                    end: Some(at(end)),
                };
                (Some(info), vec![range])
            }
            None => (None, Vec::new()),
        };
        let req = gw::WarnRequest {
            digest: warning.vertex,
            level: 1,
            short: warning.short.into_bytes(),
            detail: Vec::new(),
            url: String::new(),
            info,
            ranges,
        };
        self.client.clone().warn(req).await.map_err(rpc("Warn"))?;
        Ok(())
    }

    async fn resolve_image_config(&self, reference: &str) -> Result<(String, Vec<u8>), RpcError> {
        let req = gw::ResolveImageConfigRequest {
            r#ref: reference.to_string(),
            log_name: format!("[artifact] resolve {reference}"),
            ..Default::default()
        };
        let resp = self
            .client
            .clone()
            .resolve_image_config(req)
            .await
            .map_err(rpc("ResolveImageConfig"))?
            .into_inner();
        Ok((resp.digest, resp.config))
    }
}
