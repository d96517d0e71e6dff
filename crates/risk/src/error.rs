//! Errors of the risk engine.
//!
//! Every error carries typed context and a stable snake_case code ([`RiskError::code`]) that the
//! CLI and the API expose. Bad input is always an `Err`, never a panic.

/// Everything that can go wrong when reading a graph or a scenario, or running an analysis.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RiskError {
    /// The document is not valid JSON or does not have the expected shape.
    #[error("invalid JSON at {path}: {reason}")]
    Json {
        /// Where in the document (a JSON-pointer-like path, or `document`).
        path: String,
        /// What the parser said.
        reason: String,
    },
    /// A number is neither a non-negative decimal string, an integer, nor a fraction `"p/q"`.
    #[error("{field}: `{value}` is not a decimal or p/q number")]
    BadNumber {
        /// Which field.
        field: String,
        /// The text as given.
        value: String,
    },
    /// A number that must lie in a range does not.
    #[error("{field}: {value} is outside {range}")]
    OutOfRange {
        /// Which field.
        field: String,
        /// The value, rendered exactly.
        value: String,
        /// The allowed range, e.g. `(0, 1]`.
        range: &'static str,
    },
    /// An id is empty.
    #[error("{kind} id must not be empty")]
    EmptyId {
        /// `service`, `operator`, ...
        kind: &'static str,
    },
    /// A service id is listed twice.
    #[error("duplicate service id `{id}`")]
    DuplicateService {
        /// The id.
        id: String,
    },
    /// An operator id is listed twice.
    #[error("duplicate operator id `{id}`")]
    DuplicateOperator {
        /// The id.
        id: String,
    },
    /// The same (service, operator) edge is listed twice.
    #[error("duplicate edge ({service}, {operator})")]
    DuplicateEdge {
        /// Service id.
        service: String,
        /// Operator id.
        operator: String,
    },
    /// A reference to a service that does not exist.
    #[error("unknown service `{id}` in {context}")]
    UnknownService {
        /// The id.
        id: String,
        /// Where it was referenced.
        context: String,
    },
    /// A reference to an operator that does not exist.
    #[error("unknown operator `{id}` in {context}")]
    UnknownOperator {
        /// The id.
        id: String,
        /// Where it was referenced.
        context: String,
    },
    /// An edge is not `[service, operator]` or `[service, operator, allocation]`.
    #[error("edge #{index}: {reason}")]
    BadEdge {
        /// Position in the `edges` array.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// An allocation is larger than the operator's stake.
    #[error(
        "allocation {allocation} of operator `{operator}` to `{service}` exceeds its stake {stake}"
    )]
    AllocationExceedsStake {
        /// Service id.
        service: String,
        /// Operator id.
        operator: String,
        /// The allocation.
        allocation: String,
        /// The stake.
        stake: String,
    },
    /// The graph asks for the restaking model but carries per-edge allocations.
    #[error("model `restaking` cannot carry per-edge allocations; use `elastic` or `auto`")]
    ModelConflict,
    /// The operators' total stake is zero: every ratio over σ_V would be undefined.
    #[error("the total stake of all operators is zero")]
    ZeroTotalStake,
    /// A size limit was exceeded.
    #[error("{what}: {count} exceeds the limit of {limit}")]
    LimitExceeded {
        /// What was counted.
        what: &'static str,
        /// How many were given.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A stress scenario is malformed or inconsistent.
    #[error("scenario {path}: {reason}")]
    BadScenario {
        /// Where in the scenario.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// An option of the live `security` query is unknown or malformed.
    #[error("security query: `{option}` {reason}")]
    InvalidOption {
        /// The option.
        option: String,
        /// What is wrong.
        reason: String,
    },
    /// The protocol refused to read the live state (an unknown asset, say); its code passes
    /// through.
    #[error("{message}")]
    Protocol {
        /// The protocol's stable code.
        code: &'static str,
        /// The protocol's message.
        message: String,
    },
    /// An internal consistency check failed (a bug, reported rather than panicking).
    #[error("internal check failed: {0}")]
    Internal(String),
}

impl RiskError {
    /// The stable, snake_case code of this error, for the API and the CLI.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Json { .. } => "bad_json",
            Self::BadNumber { .. } => "bad_number",
            Self::OutOfRange { .. } => "out_of_range",
            Self::EmptyId { .. } => "empty_id",
            Self::DuplicateService { .. } => "duplicate_service",
            Self::DuplicateOperator { .. } => "duplicate_operator",
            Self::DuplicateEdge { .. } => "duplicate_edge",
            Self::UnknownService { .. } => "unknown_service",
            Self::UnknownOperator { .. } => "unknown_operator",
            Self::BadEdge { .. } => "bad_edge",
            Self::AllocationExceedsStake { .. } => "allocation_exceeds_stake",
            Self::ModelConflict => "model_conflict",
            Self::ZeroTotalStake => "zero_total_stake",
            Self::LimitExceeded { .. } => "limit_exceeded",
            Self::BadScenario { .. } => "bad_scenario",
            Self::InvalidOption { .. } => "invalid_input",
            Self::Protocol { code, .. } => code,
            Self::Internal(_) => "internal",
        }
    }

    pub(crate) fn json(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Json {
            path: path.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn scenario(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::BadScenario {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
