//! Generated protocol types: BuildKit's LLB (`pb`), the gateway API
//! (`moby.buildkit.v1.frontend`) and the messages they reference.
//!
//! The `.proto` sources in `proto/` are our own trimmed subset of BuildKit's
//! protocol; `build.rs` compiles them with every map as a `BTreeMap` so that
//! LLB ops marshal to the same bytes every time. Modules nest like the
//! protobuf packages because prost's generated cross-package paths expect it;
//! the short aliases at the bottom are what the rest of the crate uses.

#![allow(missing_docs, clippy::all, clippy::pedantic)]

/// LLB: ops, definitions and source locations (BuildKit package `pb`).
pub mod pb {
    tonic::include_proto!("pb");
}

/// `moby.buildkit.v1.*`
pub mod moby {
    pub mod buildkit {
        pub mod v1 {
            /// Capability records returned by Ping.
            pub mod apicaps {
                tonic::include_proto!("moby.buildkit.v1.apicaps");
            }
            /// The LLBBridge service and its messages.
            pub mod frontend {
                tonic::include_proto!("moby.buildkit.v1.frontend");
            }
        }
    }
}

/// `fsutil.types`: file stats returned by StatFile and ReadDir.
pub mod fsutil {
    pub mod types {
        tonic::include_proto!("fsutil.types");
    }
}

/// `google.rpc`: the Status a frontend returns on failure.
pub mod google {
    pub mod rpc {
        tonic::include_proto!("google.rpc");
    }
}

pub use fsutil::types as fstypes;
pub use moby::buildkit::v1::apicaps;
pub use moby::buildkit::v1::frontend as gw;
