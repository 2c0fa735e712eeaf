/** Thrown inside a property to fail it with a message a person can act on. */
export class PropertyFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PropertyFailure';
  }
}
