//! ModelPack's names: the artifact and config media types, the layer
//! annotations, the five layer categories and four encodings, and the
//! layer media type they make together.

/// The manifest's `artifactType` (model-spec `ArtifactTypeModelManifest`).
pub const ARTIFACT_TYPE: &str = "application/vnd.cncf.model.manifest.v1+json";
/// The config blob's media type (model-spec `MediaTypeModelConfig`).
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.model.config.v1+json";
/// Layer annotation: the file's path relative to the model root, which
/// unpackers (modctl, Docker Model Runner) write a raw layer to.
pub const FILEPATH: &str = "org.cncf.model.filepath";
/// Layer annotation: the file's metadata as JSON ([`super::FileMetadata`]).
pub const FILE_METADATA: &str = "org.cncf.model.file.metadata+json";
/// Layer annotation: `"true"` when the category was guessed and nobody
/// checked it.
pub const UNTESTED: &str = "org.cncf.model.file.mediatype.untested";

/// A layer category; also the order layers appear in the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `CONFIG`: tokenizer, config.json, ... (`weight.config`).
    Config,
    /// `MODEL`: weight files (`weight`).
    Model,
    /// `CODE`: scripts and sources (`code`).
    Code,
    /// `DOC`: README, LICENSE, ... (`doc`).
    Doc,
    /// `DATASET`: data sets (`dataset`).
    Dataset,
}

impl Kind {
    /// The media type's category part.
    pub fn category(self) -> &'static str {
        match self {
            Kind::Config => "weight.config",
            Kind::Model => "weight",
            Kind::Code => "code",
            Kind::Doc => "doc",
            Kind::Dataset => "dataset",
        }
    }

    /// The Modelfile directive that names files of this kind.
    pub fn directive(self) -> &'static str {
        match self {
            Kind::Config => "CONFIG",
            Kind::Model => "MODEL",
            Kind::Code => "CODE",
            Kind::Doc => "DOC",
            Kind::Dataset => "DATASET",
        }
    }
}

/// How files are packed into layers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Packing {
    /// A file as it is (`.raw`); a directory as a plain tar. modctl's
    /// default, and what the spec recommends for weights.
    #[default]
    Raw,
    /// Every file or directory as a tar (`.tar`).
    Tar,
    /// As a gzip-compressed tar (`.tar+gzip`).
    TarGzip,
    /// As a zstd-compressed tar (`.tar+zstd`).
    TarZstd,
}

impl Packing {
    /// The option values, in the order messages list them.
    pub const NAMES: [&'static str; 4] = ["raw", "tar", "tar+gzip", "tar+zstd"];

    /// Parses an option value.
    pub fn parse(s: &str) -> Option<Packing> {
        match s {
            "raw" => Some(Packing::Raw),
            "tar" => Some(Packing::Tar),
            "tar+gzip" => Some(Packing::TarGzip),
            "tar+zstd" => Some(Packing::TarZstd),
            _ => None,
        }
    }

    /// The encoding suffix of a layer holding a file (`dir` false) or a
    /// directory packed as a tar.
    pub fn encoding(self, dir: bool) -> &'static str {
        match self {
            Packing::Raw if dir => "tar",
            Packing::Raw => "raw",
            Packing::Tar => "tar",
            Packing::TarGzip => "tar+gzip",
            Packing::TarZstd => "tar+zstd",
        }
    }

    /// Whether regular files are packed as tars too.
    pub fn tars_files(self) -> bool {
        self != Packing::Raw
    }

    /// The file name suffix of the blob as a file a client writes out
    /// (`oras pull` names it by the title): a tar must not look like the
    /// file it holds.
    pub fn title_suffix(self, dir: bool) -> &'static str {
        match self.encoding(dir) {
            "raw" => "",
            "tar" => ".tar",
            "tar+gzip" => ".tar.gz",
            _ => ".tar.zst",
        }
    }
}

/// The layer media type for a file of `kind`, packed as `packing` says
/// (`dir`: a directory, always a tar).
pub fn layer_media_type(kind: Kind, packing: Packing, dir: bool) -> String {
    format!(
        "application/vnd.cncf.model.{}.v1.{}",
        kind.category(),
        packing.encoding(dir)
    )
}
