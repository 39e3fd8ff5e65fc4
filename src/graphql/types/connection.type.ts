import { GraphQLSafeInt } from "graphql-scalars";
import { Field, Int, ObjectType } from "type-graphql";

@ObjectType({ simpleResolvers: true, description: "One proxied TCP connection of a session, between a client and the session's endpoint." })
export class Connection {
  @Field(() => String, { nullable: true, description: "Address the client connected from." })
  clientTcpAddress?: string;

  @Field(() => Int, { nullable: true, description: "Port the client connected from." })
  clientTcpPort?: number;

  @Field(() => String, { nullable: true, description: "Address of the endpoint (host) the worker connected to." })
  endpointTcpAddress?: string;

  @Field(() => Int, { nullable: true, description: "Port of the endpoint the worker connected to." })
  endpointTcpPort?: number;

  @Field(() => GraphQLSafeInt, {
    nullable: true,
    description: "Bytes sent from the client to the endpoint (Boundary sends it as a 64-bit string).",
  })
  bytesUp?: number;

  @Field(() => GraphQLSafeInt, {
    nullable: true,
    description: "Bytes sent from the endpoint to the client (Boundary sends it as a 64-bit string).",
  })
  bytesDown?: number;

  @Field(() => String, {
    nullable: true,
    description:
      "Why the connection closed (`unknown`, `timed out`, `closed by end-user`, `canceled`, `network error`, `system error`); null while open.",
  })
  closedReason?: string;
}
