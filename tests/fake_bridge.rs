//! The frontend against a fake LLBBridge served over an in-memory pipe:
//! protocol edge cases that a real daemon can't be made to produce on
//! demand, and the Return-exactly-once rule on every path. The end-to-end
//! tests in `e2e.rs` run the same frontend on a real BuildKit.

#[path = "util/mod.rs"]
mod util;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use artifact_frontend::artifact;
use artifact_frontend::gateway::{self, Bridge};
use artifact_frontend::llb::{self, LocalOptions, State};
use artifact_frontend::proto::fstypes::Stat;
use artifact_frontend::proto::gw::{self, llb_bridge_server as srv};
use artifact_frontend::proto::pb;
use prost::Message;
use tonic::{Request, Response, Status};
use util::{VECTOR, borrow, caps, vector_options};

#[derive(Default)]
struct Recorded {
    solves: Vec<pb::Definition>,
    /// Frontend solves (wrap mode): the frontend and its options.
    frontends: Vec<(String, BTreeMap<String, String>)>,
    returns: Vec<gw::ReturnRequest>,
    /// Warn calls.
    warnings: Vec<gw::WarnRequest>,
    reads: usize,
    /// Inputs calls.
    inputs: usize,
}

#[derive(Clone)]
struct Fake {
    files: Arc<BTreeMap<String, Vec<u8>>>,
    dirs: Arc<Vec<String>>,
    caps: bool,
    rec: Arc<Mutex<Recorded>>,
}

#[tonic::async_trait]
impl srv::LlbBridge for Fake {
    async fn warn(
        &self,
        req: Request<gw::WarnRequest>,
    ) -> Result<Response<gw::WarnResponse>, Status> {
        self.rec.lock().unwrap().warnings.push(req.into_inner());
        Ok(Response::new(gw::WarnResponse {}))
    }

    async fn resolve_image_config(
        &self,
        _: Request<gw::ResolveImageConfigRequest>,
    ) -> Result<Response<gw::ResolveImageConfigResponse>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn solve(
        &self,
        req: Request<gw::SolveRequest>,
    ) -> Result<Response<gw::SolveResponse>, Status> {
        let req = req.into_inner();
        assert!(req.allow_result_return && req.allow_result_array_ref);
        let mut rec = self.rec.lock().unwrap();
        if !req.frontend.is_empty() {
            // A wrapped build: its result is the fake's files, with the
            // artifact keys a frontend like AIKit sets.
            rec.frontends.push((req.frontend, req.frontend_opt));
            let def = llb::local("inner", &LocalOptions::default())
                .marshal()
                .into_pb();
            let md: BTreeMap<String, Vec<u8>> = [
                ("containerimage.artifact", "true"),
                ("containerimage.artifact.type", "application/vnd.example.artifact.v1"),
                ("containerimage.artifact.config.mediatype", "application/vnd.example.config.v1+json"),
                ("containerimage.artifact.layers", r#"[{"path":"model.bin","mediaType":"application/vnd.example.weights.v1","annotations":{"org.opencontainers.image.title":"model.bin"}},{"path":"./sub/cfg.json","mediaType":"application/vnd.example.cfg.v1+json"}]"#),
                ("source.date.epoch", "7"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect();
            return Ok(Response::new(gw::SolveResponse {
                r#ref: String::new(),
                result: Some(gw::Result {
                    result: Some(gw::result::Result::Ref(gw::Ref {
                        id: "ref-inner".into(),
                        def: Some(def),
                    })),
                    metadata: md,
                }),
            }));
        }
        rec.solves.push(req.definition.unwrap_or_default());
        let id = format!("ref-{}", rec.solves.len() - 1);
        Ok(Response::new(gw::SolveResponse {
            r#ref: String::new(),
            result: Some(gw::Result {
                result: Some(gw::result::Result::Ref(gw::Ref { id, def: None })),
                metadata: BTreeMap::new(),
            }),
        }))
    }

    async fn read_file(
        &self,
        req: Request<gw::ReadFileRequest>,
    ) -> Result<Response<gw::ReadFileResponse>, Status> {
        let req = req.into_inner();
        assert!(
            req.r#ref.starts_with("ref-"),
            "files are read from a solved input"
        );
        let data = self
            .files
            .get(&req.file_path)
            .ok_or_else(|| Status::not_found("no such file"))?;
        let (start, end) = match req.range {
            Some(r) => {
                let start = (r.offset as usize).min(data.len());
                (start, (start + r.length as usize).min(data.len()))
            }
            None => (0, data.len()),
        };
        self.rec.lock().unwrap().reads += 1;
        Ok(Response::new(gw::ReadFileResponse {
            data: data[start..end].to_vec(),
        }))
    }

    async fn read_dir(
        &self,
        _: Request<gw::ReadDirRequest>,
    ) -> Result<Response<gw::ReadDirResponse>, Status> {
        Ok(Response::new(gw::ReadDirResponse {
            entries: Vec::new(),
        }))
    }

    async fn stat_file(
        &self,
        req: Request<gw::StatFileRequest>,
    ) -> Result<Response<gw::StatFileResponse>, Status> {
        let req = req.into_inner();
        let stat = if let Some(data) = self.files.get(&req.path) {
            Stat {
                path: req.path,
                mode: 0o644,
                size: data.len() as i64,
                ..Default::default()
            }
        } else if self.dirs.contains(&req.path) {
            Stat {
                path: req.path,
                mode: (1 << 31) | 0o755,
                ..Default::default()
            }
        } else {
            return Err(Status::not_found(format!(
                "stat {}: no such file or directory",
                req.path
            )));
        };
        Ok(Response::new(gw::StatFileResponse { stat: Some(stat) }))
    }

    async fn ping(
        &self,
        _: Request<gw::PingRequest>,
    ) -> Result<Response<gw::PongResponse>, Status> {
        if !self.caps {
            return Ok(Response::new(gw::PongResponse::default()));
        }
        Ok(Response::new(gw::PongResponse {
            frontend_api_caps: caps(&[
                "solve.base",
                "readfile",
                "statfile",
                "return",
                "frontend.inputs",
                "proto.refarray",
            ]),
            llb_caps: caps(&[
                "file.base",
                "source.local",
                "source.local.sessionid",
                "source.local.followpaths",
                "source.local.sharedkeyhint",
            ]),
        }))
    }

    async fn r#return(
        &self,
        req: Request<gw::ReturnRequest>,
    ) -> Result<Response<gw::ReturnResponse>, Status> {
        let mut rec = self.rec.lock().unwrap();
        if !rec.returns.is_empty() {
            return Err(Status::unknown("gateway result is already set"));
        }
        rec.returns.push(req.into_inner());
        Ok(Response::new(gw::ReturnResponse {}))
    }

    async fn inputs(
        &self,
        _: Request<gw::InputsRequest>,
    ) -> Result<Response<gw::InputsResponse>, Status> {
        self.rec.lock().unwrap().inputs += 1;
        let def = llb::local("input", &LocalOptions::default())
            .marshal()
            .into_pb();
        Ok(Response::new(gw::InputsResponse {
            definitions: [("input".to_string(), def)].into(),
        }))
    }
}

fn vector_files() -> BTreeMap<String, Vec<u8>> {
    let read = |p: &str| std::fs::read(format!("{VECTOR}/input/{p}")).unwrap();
    [
        ("model.bin", read("model.bin")),
        ("sub/cfg.json", read("sub/cfg.json")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Runs the frontend with `opts` against a fake serving `files`.
async fn run(files: BTreeMap<String, Vec<u8>>, with_caps: bool, opts: &[(&str, &str)]) -> Recorded {
    let fake = Fake {
        files: Arc::new(files),
        dirs: Arc::new(vec!["sub".to_string()]),
        caps: with_caps,
        rec: Arc::default(),
    };
    let rec = fake.rec.clone();
    let (client_io, server_io) = tokio::io::duplex(1 << 20);
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(srv::LlbBridgeServer::new(fake))
            .serve_with_incoming(tokio_stream::once(Ok::<_, std::io::Error>(server_io))),
    );
    let env: Vec<(String, String)> = opts
        .iter()
        .enumerate()
        .map(|(i, (k, v))| (format!("BUILDKIT_FRONTEND_OPT_{i}"), format!("{k}={v}")))
        .collect();
    let options = gateway::from_env(env);
    let bridge = Bridge::connect(client_io).await.expect("connect to fake");
    artifact::serve(bridge, &options)
        .await
        .expect("Return accepted");
    server.abort();
    let mut rec = rec.lock().unwrap();
    std::mem::take(&mut *rec)
}

fn vector_opts(layers: &str) -> Vec<(&'static str, String)> {
    vector_options(layers)
}

/// The FileOp of the last solved definition (the layout assembly).
fn layout_actions(def: &pb::Definition) -> Vec<pb::FileAction> {
    def.def
        .iter()
        .map(|b| pb::Op::decode(b.as_slice()).unwrap())
        .find_map(|op| match op.op {
            Some(pb::op::Op::File(f)) => Some(f.actions),
            _ => None,
        })
        .expect("a FileOp")
}

fn mkfile(actions: &[pb::FileAction], path: &str) -> Vec<u8> {
    actions
        .iter()
        .find_map(|a| match &a.action {
            Some(pb::file_action::Action::Mkfile(m)) if m.path == path => Some(m.data.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no mkfile {path}"))
}

#[tokio::test]
async fn success_returns_once_with_reference_bytes() {
    let layers = std::fs::read_to_string(format!("{VECTOR}/layers.json")).unwrap();
    let opts = vector_opts(&layers);
    let rec = run(vector_files(), true, &borrow(&opts)).await;
    assert_eq!(rec.returns.len(), 1);
    let ret = &rec.returns[0];
    assert!(ret.error.is_none(), "{:?}", ret.error);
    match ret.result.as_ref().and_then(|r| r.result.as_ref()) {
        Some(gw::result::Result::Ref(r)) => assert_eq!(r.id, "ref-1", "the layout ref is returned"),
        other => panic!("unexpected result {other:?}"),
    }
    let actions = layout_actions(&rec.solves[1]);
    let expected = |p: &str| std::fs::read(format!("{VECTOR}/expected/{p}")).unwrap();
    assert_eq!(mkfile(&actions, "/index.json"), expected("index.json"));
    assert_eq!(mkfile(&actions, "/oci-layout"), expected("oci-layout"));
    let manifest = "21e0853aa2c1fb98c13784247304d19c2234e0a70a88ce07461c7c0192ac201f";
    let blob = format!("blobs/sha256/{manifest}");
    assert_eq!(mkfile(&actions, &format!("/{blob}")), expected(&blob));
    let copies: Vec<(String, String)> = actions
        .iter()
        .filter_map(|a| match &a.action {
            Some(pb::file_action::Action::Copy(c)) => Some((c.src.clone(), c.dest.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        copies,
        [
            (
                "/model.bin".to_string(),
                "/blobs/sha256/62e1cb3d236c6ee44130c54bf720f87b2ba1b0d58965634af9a3c3e541a462ef"
                    .to_string()
            ),
            (
                "/sub/cfg.json".to_string(),
                "/blobs/sha256/e346432021b04179518d9614f3560ccd71354a4ee101ddcb893d6959a9d6301c"
                    .to_string()
            ),
        ]
    );
    // All of it is one op: the last action is the op's only output.
    assert_eq!(actions.iter().filter(|a| a.output == 0).count(), 1);
    assert_eq!(actions.last().unwrap().output, 0);
}

fn error_of(rec: &Recorded) -> &artifact_frontend::proto::google::rpc::Status {
    assert_eq!(rec.returns.len(), 1, "exactly one Return");
    let ret = &rec.returns[0];
    assert!(ret.result.is_none(), "an error Return carries no result");
    let err = ret.error.as_ref().expect("an error");
    assert_ne!(err.code, 0, "buildkitd rejects code 0");
    err
}

#[tokio::test]
async fn traversal_path_fails_once_naming_the_layer() {
    let opts = vector_opts(
        r#"[{"path":"model.bin","mediaType":"a/b"},{"path":"sub/../../etc/passwd","mediaType":"a/b"}]"#,
    );
    let rec = run(vector_files(), true, &borrow(&opts)).await;
    let err = error_of(&rec);
    assert!(err.message.contains("layer 2"), "{}", err.message);
    assert!(
        err.message.contains("sub/../../etc/passwd"),
        "{}",
        err.message
    );
    assert_eq!(err.code, gateway::CODE_INVALID_ARGUMENT);
    assert!(
        rec.solves.is_empty(),
        "nothing is solved for invalid metadata"
    );
}

#[tokio::test]
async fn missing_file_and_directory_fail_once_with_the_path() {
    let opts = vector_opts(
        r#"[{"path":"model.bin","mediaType":"a/b"},{"path":"nope.bin","mediaType":"a/b"}]"#,
    );
    let rec = run(vector_files(), true, &borrow(&opts)).await;
    let err = error_of(&rec);
    assert!(
        err.message
            .contains("layer 2 (\"nope.bin\") does not exist"),
        "{}",
        err.message
    );

    let opts = vector_opts(r#"[{"path":"sub","mediaType":"a/b"}]"#);
    let rec = run(vector_files(), true, &borrow(&opts)).await;
    let err = error_of(&rec);
    assert!(err.message.contains("is a directory"), "{}", err.message);
}

#[tokio::test]
async fn missing_options_fail_once_with_a_fix() {
    let rec = run(
        vector_files(),
        true,
        &[("containerimage.artifact.layers", "[]")],
    )
    .await;
    let err = error_of(&rec);
    assert!(
        err.message
            .contains("containerimage.artifact.config.mediatype is required"),
        "{}",
        err.message
    );

    let rec = run(
        vector_files(),
        true,
        &[
            ("build-arg:containerimage.artifact.config.mediatype", "a/b"),
            (
                "build-arg:containerimage.artifact.layers",
                r#"[{"path":"model.bin","media_type":"x/y"}]"#,
            ),
        ],
    )
    .await;
    let err = error_of(&rec);
    assert!(
        err.message.contains("did you mean \"mediaType\""),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn old_daemon_without_caps_is_told_what_is_missing() {
    let opts = vector_opts(r#"[{"path":"model.bin","mediaType":"a/b"}]"#);
    let rec = run(vector_files(), false, &borrow(&opts)).await;
    let err = error_of(&rec);
    assert!(err.message.contains("\"statfile\""), "{}", err.message);
}

#[tokio::test]
async fn large_files_are_read_in_ranges_and_hashed_exactly() {
    use sha2::Digest as _;
    let big: Vec<u8> = (0..(5 << 20) + 123).map(|i: u32| (i % 251) as u8).collect();
    let want = hex::encode(sha2::Sha256::digest(&big));
    let files: BTreeMap<String, Vec<u8>> = [("big.bin".to_string(), big)].into();
    let opts = vector_opts(
        r#"[{"path":"big.bin","mediaType":"a/b"},{"path":"./big.bin","mediaType":"c/d"}]"#,
    );
    let rec = run(files, true, &borrow(&opts)).await;
    assert!(rec.returns[0].error.is_none(), "{:?}", rec.returns[0].error);
    assert_eq!(
        rec.reads, 3,
        "5 MiB in 2 MiB ranges, read once for two layers naming one file"
    );
    let actions = layout_actions(rec.solves.last().unwrap());
    let manifest = String::from_utf8(
        actions
            .iter()
            .find_map(|a| match &a.action {
                Some(pb::file_action::Action::Mkfile(m))
                    if m.path.starts_with("/blobs/")
                        && m.data.starts_with(b"{\"schemaVersion\"") =>
                {
                    Some(m.data.clone())
                }
                _ => None,
            })
            .unwrap(),
    )
    .unwrap();
    assert_eq!(manifest.matches(&want).count(), 2, "{manifest}");
    let copies = actions
        .iter()
        .filter(|a| matches!(a.action, Some(pb::file_action::Action::Copy(_))))
        .count();
    assert_eq!(copies, 1, "one blob for identical layers");
}

#[tokio::test]
async fn layer_list_from_a_file_of_the_input() {
    // Options travel as environment variables (128 KiB each at most), so
    // large layer lists come from a file: `@path`.
    let mut files = vector_files();
    let layers = std::fs::read(format!("{VECTOR}/layers.json")).unwrap();
    files.insert("meta/layers.json".into(), layers);
    let opts = vector_opts("@./meta/layers.json");
    let rec = run(files, true, &borrow(&opts)).await;
    assert!(rec.returns[0].error.is_none(), "{:?}", rec.returns[0].error);
    let actions = layout_actions(rec.solves.last().unwrap());
    let expected = std::fs::read(format!("{VECTOR}/expected/index.json")).unwrap();
    assert_eq!(mkfile(&actions, "/index.json"), expected);
    // The input is looked up for the layers file and for the layers, and
    // asked of the daemon once.
    assert_eq!(rec.inputs, 1);

    let opts = vector_opts("@nope.json");
    let rec = run(vector_files(), true, &borrow(&opts)).await;
    let err = error_of(&rec);
    assert!(
        err.message
            .contains("layers file \"nope.json\" does not exist"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn describe_subrequest_is_answered_without_building() {
    let rec = run(
        vector_files(),
        true,
        &[("requestid", "frontend.subrequests.describe")],
    )
    .await;
    assert_eq!(rec.returns.len(), 1);
    assert!(rec.solves.is_empty());
    let result = rec.returns[0].result.as_ref().expect("a result");
    let described: serde_json::Value =
        serde_json::from_slice(&result.metadata["result.json"]).unwrap();
    assert_eq!(described[0]["name"], "frontend.subrequests.describe");

    let rec = run(vector_files(), true, &[("requestid", "frontend.outline")]).await;
    let err = error_of(&rec);
    assert!(
        err.message
            .contains("does not support subrequest \"frontend.outline\""),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn artifactfile_errors_carry_the_source_location() {
    let mut files = vector_files();
    files.insert(
        "Artifactfile".into(),
        b"ARTIFACT application/x.t\nLAYER text/plain model.bin\nLAYER text/plain gone.bin\n"
            .to_vec(),
    );
    let rec = run(files, true, &[("filename", "Artifactfile")]).await;
    let err = error_of(&rec);
    assert!(
        err.message
            .starts_with("Artifactfile:3: layer 2 (\"gone.bin\") does not exist"),
        "{}",
        err.message
    );
    let detail = err
        .details
        .iter()
        .find(|d| d.type_url == "github.com/moby/buildkit/errdefs.Source+json")
        .expect("a source detail");
    let v: serde_json::Value = serde_json::from_slice(&detail.value).unwrap();
    assert_eq!(v["ranges"][0]["start"]["line"], 3);
    assert_eq!(v["info"]["filename"], "Artifactfile");

    let mut files = vector_files();
    files.insert(
        "Artifactfile".into(),
        b"ARTIFACT application/x.t\nLAYER text/plain model.bin\n".to_vec(),
    );
    let rec = run(files, true, &[("filename", "Artifactfile")]).await;
    assert!(rec.returns[0].error.is_none(), "{:?}", rec.returns[0].error);
    let actions = layout_actions(rec.solves.last().unwrap());
    let manifest = actions
        .iter()
        .find_map(|a| match &a.action {
            Some(pb::file_action::Action::Mkfile(m))
                if m.data.starts_with(b"{\"schemaVersion\"") && m.path.starts_with("/blobs/") =>
            {
                Some(m.data.clone())
            }
            _ => None,
        })
        .unwrap();
    let m: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    assert_eq!(
        m["layers"][0]["annotations"]["org.opencontainers.image.title"],
        "model.bin"
    );
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.oci.empty.v1+json"
    );
}

/// `FROM frontend:<image> key=value` runs that frontend with the line's
/// options and the build's, never the `filename` that named our
/// Artifactfile (the inner frontend would read it as its own input).
#[tokio::test]
async fn from_frontend_forwards_what_the_line_asks_not_our_filename() {
    let mut files = vector_files();
    files.insert(
        "outer.artifactfile".into(),
        b"ARTIFACT application/x.t\nFROM frontend:example.com/packager:1 mode=fast\nLAYER text/plain model.bin\n"
            .to_vec(),
    );
    let rec = run(
        files,
        true,
        &[
            ("filename", "outer.artifactfile"),
            ("build-arg:VERSION", "2"),
        ],
    )
    .await;
    assert!(rec.returns[0].error.is_none(), "{:?}", rec.returns[0].error);
    let (frontend, opts) = &rec.frontends[0];
    assert_eq!(frontend, "gateway.v0");
    let keys: Vec<&str> = opts.keys().map(String::as_str).collect();
    assert_eq!(keys, ["build-arg:VERSION", "mode", "source"], "{opts:?}");
}

#[tokio::test]
async fn wrapped_result_metadata_gives_the_reference_bytes() {
    let rec = run(
        vector_files(),
        true,
        &[
            ("build-arg:artifact.frontend", "gateway.v0"),
            (
                "build-arg:artifact.frontend.source",
                "example.com/packager:1",
            ),
            ("build-arg:BUILDKIT_SYNTAX", "example.com/artifact:1"),
            ("source", "example.com/artifact:1"),
            ("target", "weights"),
        ],
    )
    .await;
    assert!(rec.returns[0].error.is_none(), "{:?}", rec.returns[0].error);
    let (frontend, opts) = &rec.frontends[0];
    assert_eq!(frontend, "gateway.v0");
    let keys: Vec<&str> = opts.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["source", "target"],
        "ours and the syntax arg are not forwarded"
    );
    assert_eq!(opts["source"], "example.com/packager:1");
    let actions = layout_actions(rec.solves.last().unwrap());
    let expected = std::fs::read(format!("{VECTOR}/expected/index.json")).unwrap();
    assert_eq!(
        mkfile(&actions, "/index.json"),
        expected,
        "same bytes as the contract"
    );
    let md = &rec.returns[0].result.as_ref().unwrap().metadata;
    assert_eq!(
        md.keys().collect::<Vec<_>>(),
        ["source.date.epoch"],
        "unconsumed metadata is kept"
    );
}

#[test]
fn scratch_state_marshals_empty() {
    assert!(State::scratch().marshal().is_empty());
}
