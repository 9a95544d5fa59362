//! The two tables, column for column as upstream's sample schema declares them
//! (upstream-convertor.md §3.2), so a database an upstream deployment created is used as is.

/// MySQL/MariaDB DDL of both tables (the tool never runs it; deployments and tests do).
pub const MYSQL_DDL: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS overlaybd_layers (
        host varchar(255) NOT NULL,
        repo varchar(255) NOT NULL,
        chain_id varchar(255) NOT NULL COMMENT 'chain-id of the source layer',
        data_digest varchar(255) NOT NULL COMMENT 'digest of the converted layer',
        data_size bigint(20) NOT NULL COMMENT 'size of the converted layer',
        PRIMARY KEY (host, repo, chain_id),
        KEY index_registry_chainId (host, chain_id) USING BTREE
    ) DEFAULT CHARSET = utf8",
    "CREATE TABLE IF NOT EXISTS overlaybd_manifests (
        host varchar(255) NOT NULL,
        repo varchar(255) NOT NULL,
        src_digest varchar(255) NOT NULL COMMENT 'digest of the source manifest',
        out_digest varchar(255) NOT NULL COMMENT 'digest of the converted manifest',
        data_size bigint(20) NOT NULL COMMENT 'size of the converted manifest',
        mediatype varchar(255) NOT NULL COMMENT 'media type of the converted manifest',
        PRIMARY KEY (host, repo, src_digest, mediatype),
        KEY index_registry_src_digest (host, src_digest, mediatype) USING BTREE
    ) DEFAULT CHARSET = utf8",
];

/// The same tables in SQLite, created on open.
pub const SQLITE_DDL: &str = "
CREATE TABLE IF NOT EXISTS overlaybd_layers (
    host TEXT NOT NULL,
    repo TEXT NOT NULL,
    chain_id TEXT NOT NULL,
    data_digest TEXT NOT NULL,
    data_size INTEGER NOT NULL,
    PRIMARY KEY (host, repo, chain_id)
);
CREATE INDEX IF NOT EXISTS index_registry_chainId ON overlaybd_layers (host, chain_id);
CREATE TABLE IF NOT EXISTS overlaybd_manifests (
    host TEXT NOT NULL,
    repo TEXT NOT NULL,
    src_digest TEXT NOT NULL,
    out_digest TEXT NOT NULL,
    data_size INTEGER NOT NULL,
    mediatype TEXT NOT NULL,
    PRIMARY KEY (host, repo, src_digest, mediatype)
);
CREATE INDEX IF NOT EXISTS index_registry_src_digest
    ON overlaybd_manifests (host, src_digest, mediatype);
";

/// The columns every look-up reads, in the order the row readers take them.
pub const LAYER_COLUMNS: &str =
    "SELECT host, repo, chain_id, data_digest, data_size FROM overlaybd_layers";
pub const MANIFEST_COLUMNS: &str =
    "SELECT host, repo, src_digest, out_digest, data_size, mediatype FROM overlaybd_manifests";
