// The official SDK ships no types; tests use it as an untyped client.
declare module 'belvo';
