/** The part of negotiator (Apollo Server's own content negotiation) the fast lane uses. */
declare module "negotiator" {
  export default class Negotiator {
    constructor(request: { headers: { accept?: string } });
    mediaType(available?: string[]): string | undefined;
  }
}
