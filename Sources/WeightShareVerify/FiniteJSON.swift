extension KeyedEncodingContainer {
    /// Encodes `value`, or null when it is absent or not finite: JSON has no NaN or Infinity, and a report must be
    /// written whatever the model computed.
    mutating func encodeFinite(_ value: Double?, forKey key: Key) throws {
        if let value, value.isFinite { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}
