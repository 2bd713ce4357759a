import MicroblogServer
import Testing

@Suite("Web configuration")
struct WebConfigurationTests {
    /// Feed entry ids are tag URIs, whose authority is a DNS name: from `--web-url`'s host, never a port,
    /// and `localhost` for an IPv6 address, which cannot be one.
    @Test(arguments: [
        ("https://m.example:8443/blog", "m.example,2026"), ("http://127.0.0.1:8080", "127.0.0.1,2026"),
        ("http://[::1]:8080", "localhost,2026"), ("https://[2001:db8::1]/", "localhost,2026"), ("", "localhost,2026"),
    ])
    func feedIDsAreMintedUnderAHostName(url: String, authority: String) {
        var configuration = WebConfiguration(port: 0)
        configuration.baseURL = url
        #expect(configuration.idAuthority == authority)
    }
}
