import Glibc

/// An error raised while starting the server: the address cannot be parsed or bound.
public struct ServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A human-readable explanation, e.g. "cannot listen on 127.0.0.1:8080: address already in use".
    public var message: String
    /// The POSIX `errno` behind the failure, or 0 when there is none.
    public var code: Int32

    /// Creates an error with an explicit message.
    public init(_ message: String, code: Int32 = 0) {
        self.message = message
        self.code = code
    }

    /// Creates an error for a failed system call, appending the lowercased `strerror` text.
    public static func posix(_ what: String, errno code: Int32) -> ServerError {
        ServerError("\(what): \(String(cString: strerror(code)).lowercased())", code: code)
    }

    /// The message.
    public var description: String { message }
}
