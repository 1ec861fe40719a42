/// The tool's version, recorded in every container it writes.
public enum WeightShareVersion {
    public static let string = "0.1.0"
}
