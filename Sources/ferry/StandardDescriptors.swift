#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// StandardDescriptors makes sure descriptors 0, 1 and 2 are open before
/// ferry opens anything, as ssh's sanitise_stdfd does: started with one of
/// them closed (`ferry exec host -- cmd <&-`), the next socket or file would
/// take its number, and reading "stdin" would read the server's socket, or
/// an error message would be written into a file being transferred. A
/// closed one is opened on /dev/null, so a closed stdin reads as empty.
enum StandardDescriptors {
    static func openClosedOnes() {
        for descriptor in Int32(0)...2 where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
            let opened = open("/dev/null", O_RDWR)
            // open returns the lowest free number: this one, as the lower ones are open.
            if opened >= 0 && opened != descriptor {
                _ = dup2(opened, descriptor)
                _ = close(opened)
            }
        }
    }
}
