//! `artifact.v0` as an external BuildKit frontend.
//!
//! buildkitd runs this program from an image and serves its gateway API
//! (`LLBBridge`) over our stdin/stdout. We read artifact metadata from the
//! frontend options and the files of a build result, and return LLB that
//! assembles an OCI image layout of those files as an artifact.
//!
//! Modules depend one way, top to bottom:
//! - [`proto`]: generated protocol types.
//! - [`digest`]: content digests (`sha256:<hex>`) as one type.
//! - [`llb`]: a typed, deterministic LLB builder (no I/O).
//! - [`oci`]: OCI descriptors, manifests and the layout, serialized with the
//!   same bytes as Go's `encoding/json`, and a layout read back.
//! - [`gateway`]: the stdio gRPC client, options, caps and `Return`.
//! - [`suggest`]: "did you mean" for misspelled names.
//! - [`modelpack`]: the CNCF ModelPack format: media types, modctl's file
//!   classification, the config document and layer annotations.
//! - [`artifactfile`]: the Artifactfile parser (text in, a model out).
//! - [`modelfile`]: the Modelfile parser (modctl's format; text in, a model
//!   out).
//! - [`blobtool`]: the blob writer the frontend runs inside BuildKit's
//!   worker, as an ExecOp of its own image.
//! - [`registry`]: pushing a layout to a registry and pulling one from it
//!   (`FROM oci://`; oci-client with what it
//!   lacks on top), run inside the worker as another subcommand.
//! - [`artifact`]: the frontend's logic, using all of the above.

pub mod artifact;
pub mod artifactfile;
pub mod blobtool;
pub mod digest;
pub mod gateway;
pub mod llb;
pub mod modelfile;
pub mod modelpack;
pub mod oci;
pub mod proto;
pub mod registry;
pub mod suggest;
