import DetourCore
import Testing

/// The HTML builder: text is escaped unless it is markup or asked for raw.
struct HTMLTests {
    @Test func interpolatedTextIsEscapedMarkupAndNumbersAreNot() {
        let name = #"<script>alert('x')</script> & "q""#
        let cell: HTML = "<td title=\"\(name)\">\(name) \(3) \(2.5)</td>"
        let escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        #expect(cell.text == "<td title=\"\(escaped)\">\(escaped) 3 2.5</td>")
        let row: HTML = "<tr>\(cell)</tr>"
        #expect(row.text == "<tr>" + cell.text + "</tr>", "markup is not escaped twice")
        let style: HTML = "<style>\(HTML.raw("body{font-family:\"Noto Sans\"}"))</style>"
        #expect(style.text == "<style>body{font-family:\"Noto Sans\"}</style>")
        #expect([HTML("<a>\("楽天&")</a>"), "<b>x</b>"].joined(separator: "、").text == "<a>楽天&amp;</a>、<b>x</b>")
    }

    /// A quote or bracket followed by a combining mark is one Swift `Character` that equals neither,
    /// but the browser still reads the quote and ends the attribute there.
    @Test(arguments: [("\"\u{0301} onmouseover=x", "&quot;\u{0301} onmouseover=x"), ("<\u{0338}b>", "&lt;\u{0338}b&gt;"), ("'\u{20DD}", "&#39;\u{20DD}")])
    func aCombiningMarkAfterASpecialCharacterDoesNotHideIt(text: String, escaped: String) {
        let cell: HTML = "<td title=\"\(text)\">"
        #expect(Array(cell.text.unicodeScalars) == Array("<td title=\"\(escaped)\">".unicodeScalars), "\(cell.text)")
    }
}
