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
}
