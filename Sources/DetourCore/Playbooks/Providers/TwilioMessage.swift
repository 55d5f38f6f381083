import Foundation

/// `twilio.sms`, `twilio.call`: a text message or a phone call that reads a text aloud, through
/// Twilio's Messages and Calls APIs (`/2010-04-01/Accounts/{AccountSid}/Messages.json`, `Calls.json`).
public struct TwilioMessage: ProviderAction {
    /// Which API.
    public enum Mode: String, Sendable {
        case sms, call
    }

    /// Messages or Calls.
    public var mode: Mode
    /// The account SID (also the Basic user).
    public var accountSid: CredentialField
    /// The auth token.
    public var authToken: CredentialField
    /// The Twilio number it comes from (E.164).
    public var from: TemplateField
    /// The number it goes to (E.164).
    public var to: TemplateField
    /// The text sent, or read aloud in Japanese on a call.
    public var text: TemplateField

    public var name: String { "twilio.\(mode.rawValue)" }
    // Twilio's create endpoints take no idempotency key: a repeat would text or ring twice.
    public var honoursIdempotency: Bool { false }
    public var isPublicNotice: Bool { false }
    public var templates: [(Template, SourceLocation)] { [from, to, text].map { ($0.template, $0.location) } }
    public var credentials: [(CredentialReference, SourceLocation)] {
        [(accountSid.reference, accountSid.location), (authToken.reference, authToken.location)]
    }
    public var texts: [(Template, SourceLocation, TextLimit)] { [(text.template, text.location, .characters(Self.limit(mode)))] }

    /// SMS bodies are cut by Twilio at 1,600 characters; a call should say what it has to in under a minute.
    static func limit(_ mode: Mode) -> Int { mode == .sms ? 1_600 : 500 }

    static func read(_ fields: ProviderFields, mode: Mode) -> TwilioMessage? {
        let account = fields.credential("accountSid", hint: "accountSid: \"env:TWILIO_ACCOUNT_SID\"")
        let token = fields.credential("authToken", hint: "authToken: \"env:TWILIO_AUTH_TOKEN\"")
        let from = fields.template("from", required: true, hint: "from: \"+815012345678\" (your Twilio number)")
        let to = fields.template("to", required: true, hint: "to: \"+819012345678\" (E.164)")
        let text = fields.template("text", required: true, hint: "text: \"{{channel.name}}が停止しています。\"")
        guard let account, let token, let from, let to, let text else { return nil }
        return TwilioMessage(mode: mode, accountSid: account, authToken: token, from: from, to: to, text: text)
    }

    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? {
        Self.request(
            mode: mode, account: try environment.secret(accountSid.reference), token: try environment.secret(authToken.reference),
            from: try environment.text(from.template), to: try environment.text(to.template), text: try environment.text(text.template),
            base: environment.base("twilio", default: "https://api.twilio.com"), language: "ja-JP")
    }

    /// The form POST of a message or a call; a call carries its TwiML inline (`<Say language="ja-JP">`).
    static func request(mode: Mode, account: String, token: String, from: String, to: String, text: String, base: String, language: String) -> ProviderCall {
        let said = String(text.prefix(limit(mode)))
        let fields: [(String, String)] =
            switch mode {
            case .sms: [("To", to), ("From", from), ("Body", said)]
            case .call:
                [("To", to), ("From", from), ("Twiml", "<Response><Say language=\"\(language)\">\(XMLText.escape(said))</Say></Response>")]
            }
        let path = mode == .sms ? "Messages.json" : "Calls.json"
        return ProviderCall(
            method: "POST", url: "\(base)/2010-04-01/Accounts/\(FormBody.escape(account))/\(path)",
            headers: [
                HTTPHeader("Authorization", "Basic " + Data("\(account):\(token)".utf8).base64EncodedString()),
                HTTPHeader("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body: FormBody.encode(fields))
    }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        Self.classify(response, now: environment.now)
    }

    /// Twilio's answers: 201 with a `sid`; errors carry a `code` and a `message`.
    static func classify(_ response: HTTPResponse, now: Date) -> ProviderVerdict {
        let json = AnswerReading.json(response) as? [String: Any]
        if (200..<300).contains(response.status) {
            return .success(outputs: (json?["sid"] as? String).map { ["sid": $0] } ?? [:])
        }
        if response.status == 400, let code = json?["code"] as? Int, let message = json?["message"] as? String {
            return .permanent("Twilio answered 400 (error \(code)): \(message); check the numbers (E.164, such as +819012345678) and the text")
        }
        return AnswerReading.standard(response, provider: "Twilio", now: now) { status in
            status == 401 ? "the account SID and auth token were refused; copy them again from the Twilio console" : nil
        }
    }
}

/// `application/x-www-form-urlencoded` bodies.
enum FormBody {
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// One value percent-encoded.
    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    /// `a=1&b=2`, in the order given.
    static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }
}

/// Text inside XML (TwiML).
enum XMLText {
    /// `&`, `<`, `>`, `"` and `'` escaped.
    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            default: result.append(character)
            }
        }
        return result
    }
}
