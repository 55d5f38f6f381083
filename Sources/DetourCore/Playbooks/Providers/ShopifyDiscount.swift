import Foundation

/// `shopify.discount`: activate or deactivate a discount through the Admin GraphQL API.
/// A 200 with `userErrors` or a THROTTLED error is a failure.
public struct ShopifyDiscount: ProviderAction {
    /// `matcha-do` for matcha-do.myshopify.com.
    public var shop: String
    /// The Admin API access token.
    public var token: CredentialField
    /// `gid://shopify/DiscountAutomaticNode/…` or `gid://shopify/DiscountCodeNode/…`.
    public var discountID: TemplateField
    /// `activate` or `deactivate`.
    public var operation: String
    /// `automatic` or `code`.
    public var kind: String
    /// The Admin API version.
    public var apiVersion: String

    public var name: String { "shopify.discount" }
    // Switching a discount on twice leaves it on.
    public var honoursIdempotency: Bool { true }
    public var isPublicNotice: Bool { false }
    /// A discount is switched on for the outage and off after it.
    public var isEffect: Bool { true }
    public var templates: [(Template, SourceLocation)] { [(discountID.template, discountID.location)] }
    public var credentials: [(CredentialReference, SourceLocation)] { [(token.reference, token.location)] }
    public var texts: [(Template, SourceLocation, TextLimit)] { [] }

    /// The GraphQL mutation name.
    var mutation: String { "discount\(kind == "code" ? "Code" : "Automatic")\(operation == "activate" ? "Activate" : "Deactivate")" }

    static func read(_ fields: ProviderFields) -> ShopifyDiscount? {
        let shop = fields.reader.requiredString("shop", hint: "shop: \"matcha-do\" (for matcha-do.myshopify.com)")
        let token = fields.credential("token", hint: "token: \"env:SHOPIFY_ADMIN_TOKEN\"")
        let discountID = fields.template("discountId", required: true, hint: "discountId: \"gid://shopify/DiscountAutomaticNode/123\"")
        let operation = fields.word("action", in: ["activate", "deactivate"], default: "activate")
        let kind = fields.word("kind", in: ["automatic", "code"], default: "automatic")
        let apiVersion = fields.string("apiVersion") ?? "2025-01"
        if let discountID, case .literal(let text)? = discountID.template.segments.first, discountID.template.segments.count == 1,
            !text.hasPrefix("gid://shopify/")
        {
            fields.error(.text("provider.shopify.discount-id"), key: "discountId")
        }
        guard let shop, let token, let discountID else { return nil }
        return ShopifyDiscount(shop: shop, token: token, discountID: discountID, operation: operation, kind: kind, apiVersion: apiVersion)
    }

    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? {
        let token = try environment.secret(token.reference)
        let query = "mutation($id: ID!) { \(mutation)(id: $id) { userErrors { field message } } }"
        let body = JSONValue.object([
            ("query", .string(query)), ("variables", .object([("id", .string(try environment.text(discountID.template)))])),
        ])
        let base = environment.base("shopify", default: "https://\(shop).myshopify.com")
        return ProviderCall(
            method: "POST", url: base + "/admin/api/\(apiVersion)/graphql.json",
            headers: [HTTPHeader("X-Shopify-Access-Token", token), HTTPHeader("Content-Type", "application/json")], body: body.jsonText)
    }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        let verdict = AnswerReading.standard(response, provider: "Shopify", now: environment.now) { status in
            status == 401 || status == 403 ? "the access token was refused or lacks write_discounts" : nil
        }
        guard case .success = verdict else { return verdict }
        let json = AnswerReading.json(response) as? [String: Any]
        if let errors = json?["errors"] as? [[String: Any]], !errors.isEmpty {
            let throttled = errors.contains { (($0["extensions"] as? [String: Any])?["code"] as? String) == "THROTTLED" }
            let said = errors.compactMap { $0["message"] as? String }.joined(separator: "; ")
            if throttled { return .retryable("Shopify answered 200 with THROTTLED: \(said)", retryAfter: .seconds(2)) }
            return .permanent("Shopify answered 200 with errors: \(said); check the step's discountId and kind")
        }
        let payload = (json?["data"] as? [String: Any])?[mutation] as? [String: Any]
        if let userErrors = payload?["userErrors"] as? [[String: Any]], !userErrors.isEmpty {
            let said = userErrors.compactMap { $0["message"] as? String }.joined(separator: "; ")
            return .permanent("Shopify answered 200 with userErrors: \(said); check the discount id and that it exists in the shop")
        }
        if payload == nil { return .permanent("Shopify answered 200 without \(mutation) in data; check kind (automatic or code)") }
        return .success(outputs: [:])
    }
}
