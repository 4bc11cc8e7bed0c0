//! Compiles our trimmed BuildKit protocol files with protox (pure Rust, so no
//! `protoc` binary is needed) and generates a client-only tonic stub.
//!
//! Every protobuf map is generated as a `BTreeMap`: an LLB vertex digest is
//! the SHA-256 of the op's bytes, so map entries must always encode in the
//! same (sorted) order for the same graph to get the same digests.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/pb/ops.proto",
        "proto/apicaps/caps.proto",
        "proto/fsutil/stat.proto",
        "proto/google/rpc/status.proto",
        "proto/gateway/gateway.proto",
    ];
    for f in &files {
        println!("cargo:rerun-if-changed={f}");
    }
    let fds = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        .btree_map(".")
        .compile_fds(fds)?;
    Ok(())
}
