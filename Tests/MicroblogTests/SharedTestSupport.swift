// The client, process wrapper and generator that the tests share with the benchmark
// (Sources/MicroblogTestSupport), visible in every file of the test target without an import of its own.
@_exported import MicroblogTestSupport
