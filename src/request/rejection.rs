//! Why the edge answers a request itself instead of fetching from the origin.
//!
//! Every rejection maps to one status and one short plain-text reason here,
//! in one place, so the answer a client sees and the reason the log records
//! cannot drift apart. None of them ever reaches the origin.

/// A request the edge refuses to forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    MethodNotAllowed,
    MissingHost,
    /// A Host header that is not a hostname with an optional numeric port.
    BadHost,
    /// Host or Range given more than once.
    RepeatedHeader,
    UnknownHost,
    PathNotAbsolute,
    PathTooLong,
    BadPercentEncoding,
    NotUtf8,
    ControlCharacter,
    Backslash,
    EncodedSlash,
    DoubleEncoded,
    EmptySegment,
    DotSegment,
    DirectoryListing,
    /// No route's prefix covers the path.
    NoRoute,
    /// An allowlist is set (`allowed_prefixes`) and the path is outside it.
    OutsideAllowlist,
    MalformedRange,
    UnsatisfiableRange,
    HeadersTooLarge,
}

impl Rejection {
    /// The HTTP status the client gets.
    pub fn status(self) -> u16 {
        use Rejection::*;
        match self {
            MethodNotAllowed => 405,
            UnknownHost => 421,
            DirectoryListing | NoRoute | OutsideAllowlist => 404,
            UnsatisfiableRange => 416,
            HeadersTooLarge => 431,
            MissingHost | BadHost | RepeatedHeader | PathNotAbsolute | PathTooLong
            | BadPercentEncoding | NotUtf8 | ControlCharacter | Backslash | EncodedSlash
            | DoubleEncoded | EmptySegment | DotSegment | MalformedRange => 400,
        }
    }

    /// The short plain-text body, without the trailing newline.
    pub fn reason(self) -> &'static str {
        use Rejection::*;
        match self {
            MethodNotAllowed => "method not allowed: use GET or HEAD",
            MissingHost => "bad request: missing Host header",
            BadHost => "bad request: the Host header is not a hostname and port",
            RepeatedHeader => "bad request: Host or Range given more than once",
            UnknownHost => "misdirected request: this host is not served here",
            PathNotAbsolute => "bad request: the path must start with /",
            PathTooLong => "bad request: path too long",
            BadPercentEncoding => "bad request: malformed percent-encoding in path",
            NotUtf8 => "bad request: path is not valid UTF-8",
            ControlCharacter => "bad request: control character in path",
            Backslash => "bad request: backslash in path",
            EncodedSlash => "bad request: encoded slash in path",
            DoubleEncoded => "bad request: double percent-encoding in path",
            EmptySegment => "bad request: empty path segment (//)",
            DotSegment => "bad request: . or .. segment in path",
            DirectoryListing => "not found: directory listings are not served",
            NoRoute | OutsideAllowlist => "not found",
            MalformedRange => "bad request: malformed Range header",
            UnsatisfiableRange => "range not satisfiable",
            HeadersTooLarge => "request header fields too large",
        }
    }

    /// A stable identifier for the log record and tests.
    pub fn code(self) -> &'static str {
        use Rejection::*;
        match self {
            MethodNotAllowed => "method_not_allowed",
            MissingHost => "missing_host",
            BadHost => "bad_host",
            RepeatedHeader => "repeated_header",
            UnknownHost => "unknown_host",
            PathNotAbsolute => "path_not_absolute",
            PathTooLong => "path_too_long",
            BadPercentEncoding => "bad_percent_encoding",
            NotUtf8 => "not_utf8",
            ControlCharacter => "control_character",
            Backslash => "backslash",
            EncodedSlash => "encoded_slash",
            DoubleEncoded => "double_encoded",
            EmptySegment => "empty_segment",
            DotSegment => "dot_segment",
            DirectoryListing => "directory_listing",
            NoRoute => "no_route",
            OutsideAllowlist => "outside_allowlist",
            MalformedRange => "malformed_range",
            UnsatisfiableRange => "unsatisfiable_range",
            HeadersTooLarge => "headers_too_large",
        }
    }
}
