import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// Japanese for the people who run Detour: `--lang`, the locale, and what stays English.
@Suite(.serialized)
final class LanguageTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        try workspace.write("detour.json5", #"{ timezone: "Asia/Tokyo" }"#)
        try workspace.write(
            "channels/rakuten.json5",
            """
            { name: "楽天市場店", kind: "mall", url: "\(sandbox.baseURL)/store/rakuten/",
              probes: [{ name: "item", url: "\(sandbox.baseURL)/store/rakuten/item" }] }
            """)
        try workspace.write(
            "playbooks/mall-down.json5",
            """
            { on: { event: "down", channels: "*" },
              steps: [{ id: "banner", do: "http", request: { method: "POST", url: "\(sandbox.baseURL)/banner", json: { on: true } } }] }
            """)
    }

    deinit { sandbox.stop() }

    @discardableResult
    func detour(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        var environment = environment
        environment["DETOUR_NOW"] = environment["DETOUR_NOW"] ?? "2026-12-02T01:00:30+09:00"
        return try DetourBinary.run(arguments, in: workspace.root, environment: environment)
    }

    @Test func statusSpeaksJapaneseFromTheLocaleOrLang() throws {
        #expect(try detour(["tick"], environment: ["DETOUR_NOW": "2026-12-02T01:00:00+09:00"]).status == 0)
        for (arguments, environment) in [
            (["status"], ["LANG": "ja_JP.UTF-8"]), (["--lang", "ja", "status"], [:]), (["status", "--lang=ja"], [:]),
            (["status"], ["LC_MESSAGES": "ja_JP.UTF-8"]),
        ] {
            let status = try detour(arguments, environment: environment)
            #expect(status.status == 0, "\(status.output)")
            #expect(status.stdout.contains("チャネル"), "\(arguments) \(environment): \(status.stdout)")
            #expect(status.stdout.contains("最終確認 (+09:00)"))
            #expect(status.stdout.contains("01:00:00"))
            #expect(status.stdout.contains("正常"))
            #expect(status.stdout.contains("対応中の障害はありません。"))
        }
        let english = try detour(["status"]).stdout
        #expect(english.contains("last probe (+09:00)"), "\(english)")
        #expect(english.contains("No open incidents."))
    }

    @Test func cWinsOverAJapaneseLangAndLangWinsOverBoth() throws {
        let c = try detour(["status"], environment: ["LANG": "ja_JP.UTF-8", "LC_ALL": "C"]).stdout
        #expect(c.contains("channel"), "\(c)")
        #expect(!c.contains("チャネル"))
        let asked = try detour(["status", "--lang", "ja"], environment: ["LC_ALL": "C"]).stdout
        #expect(asked.contains("チャネル"), "\(asked)")
        let english = try detour(["status", "--lang", "en"], environment: ["LANG": "ja_JP.UTF-8"]).stdout
        #expect(english.contains("channel"), "\(english)")
    }

    @Test func anIncidentReadsInJapanese() throws {
        let failover = try detour(["failover", "rakuten", "--reason", "決済エラー"], environment: ["DETOUR_NOW": "2026-12-02T01:00:00+09:00"])
        #expect(failover.status == 0, "\(failover.output)")
        let status = try detour(["status", "--lang", "ja"]).stdout
        #expect(status.contains("障害 rakuten-20261202-010000 — rakuten、切り替え済み、手動"), "\(status)")
        #expect(status.contains("mall-down/banner: 成功 200"), "\(status)")
        // show's timeline reads in Japanese; what the journal holds (the reason, the request) stays as written.
        let show = try detour(["show", "rakuten-20261202-010000", "--lang", "ja"]).stdout
        #expect(show.contains("が切り替えました: 決済エラー"), "\(show)")
        #expect(show.contains("試行 1"), "\(show)")
        #expect(show.contains("切り替え完了: 切り替えのステップがすべて終わりました"), "\(show)")
        #expect(!show.contains("attempt 1"), "\(show)")
        let english = try detour(["show", "rakuten-20261202-010000"]).stdout
        #expect(english.contains("mitigated: every failover step done"), "\(english)")
    }

    @Test func operatorCommandsAnswerInJapanese() throws {
        let ja = ["LANG": "ja_JP.UTF-8"]
        let hold = try detour(["hold", "rakuten", "--until", "2h", "--reason", "メンテナンス"], environment: ja)
        #expect(hold.stdout.contains("rakuten を保留しました（2026-12-02T03:00:30+09:00 まで）"), "\(hold.output)")
        let release = try detour(["release", "rakuten", "--by", "sato"], environment: ja)
        #expect(release.stdout.contains("rakuten の保留を解除しました"), "\(release.output)")
        let failover = try detour(["failover", "rakuten", "--reason", "決済エラー"], environment: ja)
        #expect(failover.stdout.contains("障害 rakuten-20261202-010030 を開始（"), "\(failover.stdout)")
        #expect(failover.stdout.contains("障害 rakuten-20261202-010030: 切り替え済み"), "\(failover.stdout)")
        let show = try detour(["show", "rakuten-20261202-010030"], environment: ja).stdout
        #expect(show.contains("理由: 決済エラー"), "\(show)")
        #expect(show.contains("ステップ（実行順）:\n  mall-down/banner: 成功 200"), "\(show)")
        let log = try detour(["log"], environment: ja).stdout
        #expect(log.contains("channel.released  rakuten（sato）"), "\(log)")
        let again = try detour(["release", "rakuten"], environment: ja)
        #expect(again.status == 1)
        #expect(again.stderr.contains("error: チャネル \"rakuten\" は保留されていません。解除するものはありません"), "\(again.stderr)")
        #expect(try detour(["release", "rakuten"]).stderr.contains("error: channel \"rakuten\" is not held; nothing to release"))
        let unknown = try detour(["show", "nothing-1"], environment: ja)
        #expect(unknown.stderr.contains("障害 \"nothing-1\" はありません。最近の障害: rakuten-20261202-010030"), "\(unknown.stderr)")
    }

    @Test func jsonIsTheSameInEveryLanguageAndCarriesTheOffset() throws {
        #expect(try detour(["failover", "rakuten", "--reason", "x"], environment: ["DETOUR_NOW": "2026-12-02T01:00:00+09:00"]).status == 0)
        let english = try detour(["status", "--json"]).stdout
        let japanese = try detour(["status", "--json"], environment: ["LANG": "ja_JP.UTF-8"]).stdout
        #expect(english == japanese)
        #expect(try detour(["status", "--json", "--lang", "ja"]).stdout == english)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(english.utf8)) as? [String: Any])
        let incident = try #require((json["incidents"] as? [[String: Any]])?.first)
        #expect(incident["openedAt"] as? String == "2026-12-02T01:00:00+09:00", "\(english)")
        #expect(incident["status"] as? String == "mitigated")
        #expect(!english.contains("Z\""), "\(english)")
    }

    @Test func reportHeadingsAreJapaneseAndItsFilesAreNot() throws {
        #expect(try detour(["failover", "rakuten", "--reason", "x"], environment: ["DETOUR_NOW": "2026-12-02T01:00:00+09:00"]).status == 0)
        let table = try detour(["report", "--lang", "ja"]).stdout
        #expect(table.contains("チャネル"), "\(table)")
        #expect(table.contains("逸失見込み"))
        #expect(table.contains("合計"))
        #expect(table.contains("障害 1 件"))
        let kpi = try detour(["report", "--kpi", "--lang", "ja"]).stdout
        #expect(kpi.contains("稼働率"), "\(kpi)")
        for format in ["--json", "--csv"] {
            let english = try detour(["report", format]).stdout
            #expect(try detour(["report", format], environment: ["LANG": "ja_JP.UTF-8"]).stdout == english, "\(format)")
        }
        #expect(try detour(["report", "--csv", "--lang", "ja"]).stdout.hasPrefix("channel,incident,trigger,from,to"))
    }

    @Test func checkErrorsAreJapaneseAtTheSamePlace() throws {
        try workspace.write(
            "channels/yahoo.json5",
            """
            {
              name: "Yahoo!店",
              kind: "mall"
              url: "https://store.shopping.yahoo.co.jp/shop/",
            }
            """)
        try workspace.write(
            "channels/amazon.json5",
            """
            { name: "Amazon", kind: "mall", url: "https://www.amazon.co.jp/",
              probes: [{ url: "https://www.amazon.co.jp/", timeuot: "5s" }], alternates: ["rakutan"] }
            """)
        let english = try detour(["check"])
        let japanese = try detour(["check"], environment: ["LANG": "ja_JP.UTF-8"])
        #expect(english.status == 2)
        #expect(japanese.status == 2)
        #expect(english.stderr.contains("channels/yahoo.json5:4:3: error: missing comma between members; add ',' at the end of line 3"), "\(english.stderr)")
        #expect(japanese.stderr.contains("channels/yahoo.json5:4:3: error: メンバーの間にカンマがありません。3 行目の末尾に ',' を追加してください"), "\(japanese.stderr)")
        #expect(english.stderr.contains(#"unknown key "timeuot" in probe 1 of channel "amazon"; did you mean "timeout"?"#))
        #expect(japanese.stderr.contains(#"チャネル "amazon" のプローブ 1 に "timeuot" というキーはありません。"timeout" のことですか？"#), "\(japanese.stderr)")
        #expect(japanese.stderr.contains(#"error: "rakutan" というチャネルはありません。"rakuten" のことですか？"#), "\(japanese.stderr)")
        // Every line keeps its place: the same file:line:col, in the same order.
        let places = { (text: String) in text.split(separator: "\n").map { $0.prefix { $0 != " " } } }
        #expect(places(english.stderr).dropLast() == places(japanese.stderr).dropLast())
        #expect(japanese.stderr.contains("エラー 3 件、警告 0 件"), "\(japanese.stderr)")
    }

    @Test func aFullWidthCharacterIsExplainedInJapanese() throws {
        try workspace.write("channels/yahoo.json5", "{ name： \"Yahoo!店\" }")
        let japanese = try detour(["check", "--lang", "ja"])
        #expect(japanese.status == 2)
        #expect(
            japanese.stderr.contains(
                "channels/yahoo.json5:1:7: error: キー \"name\" の後に ':' が必要ですが、'：' があります。'：' は全角文字です。半角の ':' を入力してください"),
            "\(japanese.stderr)")
        let english = try detour(["check"])
        #expect(english.stderr.contains("channels/yahoo.json5:1:7: error: expected ':' after key \"name\", found '：'; '：' is a full-width character"))
    }

    @Test func theRunbookFollowsLangThenTheLocaleThenTheTimeZone() throws {
        try workspace.write("detour.json5", #"{ timezone: "Europe/London" }"#)
        let manual = { (arguments: [String], environment: [String: String]) throws -> String in
            let result = try self.detour(["runbook", "--out", "manual"] + arguments, environment: environment)
            #expect(result.status == 0, "\(result.output)")
            return try String(contentsOfFile: self.workspace.root + "/manual/runbook.md", encoding: .utf8)
        }
        #expect(try manual([], [:]).hasPrefix("# Response manual"))
        #expect(try manual([], ["LANG": "ja_JP.UTF-8"]).hasPrefix("# 障害対応マニュアル"))
        #expect(try manual(["--lang", "ja"], [:]).contains("### 障害の兆候"))
        #expect(try manual(["--lang", "en"], ["LANG": "ja_JP.UTF-8"]).hasPrefix("# Response manual"))
    }

    @Test func helpSpeaksJapanese() throws {
        let overview = try detour(["--lang", "ja", "--help"])
        #expect(overview.status == 0)
        #expect(overview.stdout.contains("使い方: detour <コマンド> [オプション]"), "\(overview.stdout)")
        #expect(overview.stdout.contains("status      各チャネルの状態と、対応中の障害を表示します"))
        let status = try detour(["status", "--help"], environment: ["LANG": "ja_JP.UTF-8"])
        #expect(status.stdout.contains("使い方: detour status"), "\(status.stdout)")
        #expect(status.stdout.contains("--lang LANG"))
        #expect(status.stdout.contains("メッセージの言語: en か ja"))
        let english = try detour(["status", "--help"])
        #expect(english.stdout.contains("USAGE: detour status"))
        #expect(english.stdout.contains("the language of messages: en or ja"))
    }

    @Test func commandLineMistakesAreExplainedInJapanese() throws {
        let ja = ["LANG": "ja_JP.UTF-8"]
        let option = try detour(["report", "--cvs"], environment: ja)
        #expect(option.status == 64)
        #expect(option.stderr.contains("error: '--cvs' というオプションはありません。'--csv' のことですか？"), "\(option.stderr)")
        #expect(option.stderr.contains("使い方: 'detour report --help' を参照してください"))
        let command = try detour(["tik"], environment: ja)
        #expect(command.status == 64)
        #expect(command.stderr.contains("'tik' というコマンドはありません。'tick' のことですか？"), "\(command.stderr)")
    }

    @Test func anUnknownLanguageSaysWhatToWrite() throws {
        for arguments in [["status", "--lang", "fr"], ["--lang=japanese", "status"], ["status", "--lang"]] {
            let result = try detour(arguments)
            #expect(result.status == 64, "\(arguments)")
            #expect(result.stderr.contains("--lang en or --lang ja"), "\(result.stderr)")
        }
    }
}
