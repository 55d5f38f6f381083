import DetourServer

// The sandbox speaks HTTP through DetourServer; these keep its files reading as they did.

/// One connection's reader and writer.
typealias HTTPConnection = ServerConnection
/// A fully read request.
typealias HTTPRequest = ServerRequest
/// A response to write.
typealias HTTPResponse = ServerResponse
/// Why a request could not be read.
typealias HTTPReadError = ServerReadError
